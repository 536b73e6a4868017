/** The built `tdm` binary, run as a user would: help, exit codes, import and export. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runTdm as tdm } from '@tdm/test-helpers';

describe('tdm command line', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('cli');
    dir = mkdtempSync(path.join(tmpdir(), 'tdm-cli-'));
  });

  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists its commands and explains each one', async () => {
    const overview = await tdm(['--help']);
    expect(overview.code).toBe(0);
    for (const name of [
      'up',
      'scheduler',
      'crawler',
      'results',
      'import',
      'export',
      'migrate',
      'demo',
      'token',
      'audit',
    ]) {
      expect(overview.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      const help = await tdm([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toContain(`Usage: tdm ${name}`);
    }
  });

  it('fails with exit code 2 and a clear message on wrong usage', async () => {
    const unknown = await tdm(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badFlag = await tdm(['export', '--format', 'xml']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--format must be csv, ndjson or json');
    const noFile = await tdm(['import']);
    expect(noFile.code).toBe(2);
  });

  it('shows the configuration with NATS passwords and tokens redacted', async () => {
    const shown = await tdm(['config'], {
      NATS_USER: 'tdm-results',
      NATS_PASSWORD: 'pw-S3cret-x',
      NATS_TOKEN: 'tok-S3cret-y',
    });
    expect(shown.code).toBe(0);
    const config = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(config).toMatchObject({
      natsUser: 'tdm-results',
      natsPassword: '[redacted]',
      natsToken: '[redacted]',
    });
    expect(shown.stdout).not.toMatch(/S3cret/);
  });

  it('fails with exit code 1 on a missing file and on bad configuration', async () => {
    const missing = await tdm(['import', path.join(dir, 'nope.csv')], { DATABASE_URL: db.url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv/);
    const badConfig = await tdm(['migrate'], { TDM_CHECK_INTERVAL: 'soon', DATABASE_URL: db.url });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toContain('TDM_CHECK_INTERVAL');
  });

  it('names the setting to fix, without a stack trace, when a service cannot start', async () => {
    const noNats = await tdm(['results'], { NATS_URL: '', DATABASE_URL: db.url });
    expect(noNats.code).toBe(1);
    expect(noNats.stderr).toContain('tdm results: NATS_URL is not set');
    expect(noNats.stderr).not.toMatch(/^\s+at /m);

    const noChromium = await tdm(['crawler', '--mode', 'browser'], {
      TDM_CHROMIUM_PATH: path.join(dir, 'no-chromium'),
    });
    expect(noChromium.code).toBe(1);
    expect(noChromium.stderr).toContain(
      `tdm crawler: Chromium not found at ${path.join(dir, 'no-chromium')}`,
    );
    expect(noChromium.stderr).toContain('TDM_CHROMIUM_PATH');
    expect(noChromium.stderr).not.toContain('Usage:');
    expect(noChromium.stderr).not.toMatch(/^\s+at /m);

    // A data directory that cannot be made (here: a regular file). The data folder itself is
    // made first (private, 0700), so that is the one named.
    const notADir = path.join(dir, 'plain-file');
    writeFileSync(notADir, '');
    const badDataDir = await tdm(['migrate'], { DATABASE_URL: '', TDM_DATA_DIR: notADir });
    expect(badDataDir.code).toBe(1);
    expect(badDataDir.stderr).toContain(`tdm migrate: TDM_DATA_DIR: cannot create ${notADir}: `);
    expect(badDataDir.stderr).not.toMatch(/^\s+at /m);
  });

  it('fails with exit code 1 and the file name on a CSV without a url column', async () => {
    const file = path.join(dir, 'no-url.csv');
    writeFileSync(file, 'link,reportId\nhttp://img.example.com/1.jpg,r1\n');
    const out = await tdm(['import', file], { DATABASE_URL: db.url });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`tdm import: ${file}: the CSV header has no "url" column`);
    expect(out.stderr).not.toMatch(/^\s+at /m);
  });

  it('imports a CSV, rejecting bad rows with line and reason while keeping the rest (idempotent)', async () => {
    const file = path.join(dir, 'reports.csv');
    writeFileSync(
      file,
      [
        'url,reportId,reportedAt,sha256,labels',
        'http://img.example.com/1.jpg,r1,2026-01-01T00:00:00Z,,',
        'not a url,r2,,,',
        'ftp://img.example.com/2.jpg,r3,,,',
        `http://img.example.com/${'x'.repeat(10_000)},r4,,,`,
        'http://img.example.com/3.jpg,r5,yesterday,,',
        'http://img.example.com/4.jpg,r6,,abc,',
        '"http://img.example.com/5.jpg?a=1,2",r7,,,"{""case"":""7""}"',
        'http://IMG.example.com:80/1.jpg,r8,,,',
      ].join('\n'),
    );
    const first = await tdm(['import', file], { DATABASE_URL: db.url });
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toContain('8 rows, 3 new reports, 0 already known, 5 rejected');
    expect(first.stdout).toMatch(/line 3: TDM_ERR_URL_INVALID/);
    expect(first.stdout).toMatch(/line 4: TDM_ERR_URL_SCHEME/);
    expect(first.stdout).toMatch(/line 5: TDM_ERR_URL_TOO_LONG/);
    expect(first.stdout).toMatch(/line 6: TDM_ERR_TIMESTAMP/);
    expect(first.stdout).toMatch(/line 7: TDM_ERR_HASH/);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const items = await client.query<{ url: string }>('select url from items order by url');
      // r1 and r8 are the same URL once normalised.
      expect(items.rows.map((row) => row.url)).toEqual([
        'http://img.example.com/1.jpg',
        'http://img.example.com/5.jpg?a=1,2',
      ]);
    } finally {
      await client.end();
    }
    const again = await tdm(['import', file], { DATABASE_URL: db.url });
    expect(again.stdout).toContain('8 rows, 0 new reports, 3 already known, 5 rejected');
  });

  it('exports removals as CSV with a header even when there are none', async () => {
    const out = await tdm(['export', '--format', 'csv'], { DATABASE_URL: db.url });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.split('\r\n')[0]).toBe(
      'itemId,url,host,registrableDomain,hoster,reportedAt,noticeSentAt,lastOnlineAt,offlineAt,confirmedAt,offlineReason,timeToRemovalSeconds,episode,reappearedAt',
    );
  });
});
