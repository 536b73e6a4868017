/**
 * The CLI on the embedded store (PGlite), as a new user runs it next to `tdm up`:
 * data on stdout and logs on stderr; one process per PGlite folder (a second one is refused
 * with a message naming the owner, since two processes on one folder corrupt it); export
 * and import through the API while `tdm up` holds the store.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTdm as tdm, startTdmUp, type TdmUp } from '@tdm/test-helpers';

const HEADER =
  'itemId,url,host,registrableDomain,hoster,reportedAt,noticeSentAt,lastOnlineAt,offlineAt,confirmedAt,offlineReason,timeToRemovalSeconds,episode,reappearedAt';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tdm-cli-embedded-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tdm export on the embedded store', () => {
  it('writes only the data to stdout, even at log level info (logs go to stderr)', async () => {
    const dataDir = path.join(dir, 'fresh');
    const out = await tdm(['export', '--format', 'csv'], {
      TDM_DATA_DIR: dataDir,
      DATABASE_URL: '',
      TDM_LOG_LEVEL: 'info',
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(`${HEADER}\r\n`);
    // The store's start-up logs were written, to stderr.
    expect(out.stderr).toContain('"msg":"store ready"');
  });
});

describe('a second process on the folder that `tdm up` holds', () => {
  let up: TdmUp;
  beforeAll(async () => {
    up = await startTdmUp({ TDM_CHECK_INTERVAL: '1h', TDM_ALLOW_RANGES: '127.0.0.0/8' });
  });
  afterAll(async () => {
    await up?.close();
  });

  it('import and export without --api are refused with the owner named and --api suggested', async () => {
    const file = path.join(dir, 'one.csv');
    writeFileSync(file, 'url,reportId\nhttp://img.example.com/1.jpg,r1\n');
    const env = { TDM_DATA_DIR: up.dataDir, DATABASE_URL: '' };
    for (const args of [['import', file], ['export']]) {
      const out = await tdm(args, env);
      expect(out.code, args[0]).toBe(1);
      expect(out.stderr, args[0]).toContain(`in use by process ${up.proc.child.pid}`);
      expect(out.stderr, args[0]).toContain('tdm up');
      expect(out.stderr, args[0]).toContain('--api');
      expect(out.stdout, args[0]).toBe('');
    }
  });

  it('import and export through --api work while it runs', async () => {
    const file = path.join(dir, 'two.csv');
    writeFileSync(file, 'url,reportId\nhttp://img.example.com/2.jpg,r2\n');
    const imported = await tdm(['import', file, '--api', up.api]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('1 rows, 1 new reports');
    const exported = await tdm(['export', '--api', up.api, '--format', 'csv']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.split('\r\n')[0]).toBe(HEADER);
    const output = path.join(dir, 'out.ndjson');
    const toFile = await tdm(['export', '--api', up.api, '--format', 'ndjson', '--output', output]);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe('');
    expect(toFile.stderr).toContain('exported 0 removals');
  });
});
