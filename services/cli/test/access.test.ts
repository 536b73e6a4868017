/**
 * Access control from the command line, against a real `tdm results` process (real NATS,
 * real PostgreSQL): the first start writes the bootstrap admin token (0600, never
 * printed), `tdm token` and `tdm audit` use it as API clients, `--bootstrap` writes to the
 * store directly, and a revoked token is refused.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  freePort,
  startNatsServer,
  type NatsServerHandle,
  type TestDatabase,
} from '@tdm/test-helpers';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const run = promisify(execFile);
const TOKEN_SHAPE = /^tdm_[A-Za-z0-9_-]{43}$/;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('tdm token and tdm audit against a running results service', () => {
  let db: TestDatabase;
  let nats: NatsServerHandle;
  let dir: string;
  let dataDir: string;
  let results: ChildProcess;
  let output = '';
  let env: Record<string, string>;
  let api: string;

  async function tdm(args: string[], extra: Record<string, string> = {}): Promise<Outcome> {
    try {
      const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
        env: { ...process.env, TDM_LOG_LEVEL: 'warn', ...env, ...extra },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as Outcome;
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  const get = async (url: string, token: string): Promise<number> =>
    (await fetch(`${api}${url}`, { headers: { authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    db = await createTestDatabase('cli_access');
    nats = await startNatsServer();
    dir = mkdtempSync(path.join(tmpdir(), 'tdm-cli-access-'));
    dataDir = path.join(dir, 'data');
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    env = {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      TDM_DATA_DIR: dataDir,
      TDM_LISTEN: `127.0.0.1:${port}`,
      TDM_TOKEN: '',
      TDM_ADMIN_TOKEN: '',
      TDM_ADMIN_TOKEN_FILE: '',
    };
    results = spawn(process.execPath, [MAIN, 'results'], {
      env: { ...process.env, ...env, TDM_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => void (output += chunk.toString());
    results.stdout?.on('data', keep);
    results.stderr?.on('data', keep);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (results.exitCode !== null) throw new Error(`tdm results exited:\n${output}`);
      const ok = await fetch(`${api}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`tdm results not ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  afterAll(async () => {
    if (results && results.exitCode === null) {
      results.kill('SIGTERM');
      await once(results, 'exit');
    }
    await nats?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the first admin token to <dataDir>/admin.token, mode 0600 in a 0700 folder, and logs the path only', () => {
    const file = path.join(dataDir, 'admin.token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const token = readFileSync(file, 'utf8');
    expect(token).toMatch(/^tdm_[A-Za-z0-9_-]{43}\n$/);
    expect(output).toContain(file);
    expect(output).not.toContain(token.trim());
  });

  it('answers 401 without the token and 200 with it', async () => {
    const token = readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
    expect((await fetch(`${api}/v1/removals`)).status).toBe(401);
    expect(await get('/v1/removals', token)).toBe(200);
  });

  it('creates, lists and revokes tokens with the bootstrap token (found in the data folder)', async () => {
    const created = await tdm(['token', 'create', '--name', 'analyst', '--scope', 'items:read,stats:read']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(TOKEN_SHAPE);
    const id = /created token (\S+) \("analyst", items:read,stats:read\)/.exec(created.stderr)?.[1];
    expect(id).toBeDefined();
    expect(await get('/v1/removals', token)).toBe(200);
    expect(await get('/v1/tokens', token)).toBe(403);

    const listed = await tdm(['token', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+analyst\\s+items:read,stats:read`));
    expect(listed.stdout).toContain('bootstrap admin');
    expect(listed.stdout).not.toContain(token);

    // The analyst token through --token-file and TDM_TOKEN: export works, token admin does not.
    const tokenFile = path.join(dir, 'analyst.token');
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    const exported = await tdm(['export', '--api', api, '--token-file', tokenFile, '--format', 'csv']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^itemId,url,/);
    const denied = await tdm(['token', 'list'], { TDM_TOKEN: token });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('TDM_ERR_FORBIDDEN');

    const revoked = await tdm(['token', 'revoke', id!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await get('/v1/removals', token)).toBe(401);
    const again = await tdm(['export', '--api', api, '--token-file', tokenFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('TDM_ERR_UNAUTHENTICATED');
  });

  it('imports through the API only with a token that may write reports', async () => {
    const file = path.join(dir, 'reports.ndjson');
    writeFileSync(
      file,
      JSON.stringify({ url: 'https://example.org/cli-access.jpg', reportId: 'ca-1' }) + '\n',
    );
    const writer = await tdm(['token', 'create', '--name', 'ingest', '--scope', 'reports:write']);
    const reader = await tdm(['token', 'create', '--name', 'reader', '--scope', 'items:read']);
    const refused = await tdm(['import', file, '--api', api], { TDM_TOKEN: reader.stdout.trim() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TDM_ERR_FORBIDDEN');
    const imported = await tdm(['import', file, '--api', api], { TDM_TOKEN: writer.stdout.trim() });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('1 new reports');
  });

  it('tdm audit shows the reads and token changes, with token names and row counts', async () => {
    const audit = await tdm(['audit', '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    const rows = audit.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            method: string;
            route: string;
            tokenName: string;
            rows: number;
            status: number;
          },
      );
    expect(rows.map((r) => `${r.method} ${r.route} ${r.status} ${r.tokenName}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/tokens 201 bootstrap admin',
        'GET /v1/removals 200 analyst',
        'DELETE /v1/tokens/:id 200 bootstrap admin',
      ]),
    );
    const table = await tdm(['audit', '--limit', '2']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^time\s+token\s+request\s+query\s+status\s+rows\s+client/);
  });

  it('tdm token create --bootstrap writes an admin token to the store directly', async () => {
    // Logs go to standard output at info; the token is its only line at warn.
    const created = await tdm(['token', 'create', '--bootstrap', '--name', 'recovery'], {
      TDM_LOG_LEVEL: 'warn',
    });
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(TOKEN_SHAPE);
    expect(await get('/v1/tokens', token)).toBe(200);
    const usage = await tdm(['token', 'create', '--name', 'x', '--scope', 'items:write']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown scope "items:write"');
  });
});
