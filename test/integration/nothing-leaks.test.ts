/**
 * Nothing sensitive leaks (issue 8 §4, §6): the real pipeline (`tdm up` as a child process,
 * a loopback fixture web, a few items, two removals) at `debug` level, once with a NATS
 * and a PostgreSQL URL that carry credentials and once on the embedded defaults; every
 * byte of stdout and stderr, and /metrics, is searched for the reported URLs and the
 * secrets. After the embedded run, no file under the data folder is readable by group or
 * others (the store's WAL holds the URLs).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBody, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import {
  createTestDatabase,
  freePort,
  startNatsServer,
  startTdm,
  waitForHttp,
  type TdmProcess,
  type TestDatabase,
} from '@tdm/test-helpers';
import type { ItemView } from '@tdm/core';

const NATS_USER = 'tdm-svc';
const NATS_PASSWORD = 'NatsPw0rd-9f2c';
// The database password holds '@' and ':' (percent-encoded in the URL, as it must be).
const DB_PASSWORD = 's3@cr:et-7e1a';
const ADMIN_TOKEN = 'tdm_leaktest_0123456789abcdef0123456789abcdef';
const HOST = 'secret-hoster.example.test';
const PATHS = ['/victim/one.jpg', '/victim/two.jpg', '/victim/three.jpg'];

/** All files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [full, ...filesUnder(full)] : [full];
  });
}

interface Run {
  output: string;
  metrics: string;
  urls: string[];
}

/** Runs the pipeline until two items are removed; returns everything it printed. */
async function runPipeline(env: Record<string, string>, dataDir: string): Promise<Run> {
  const web: FixtureWeb = await startFixtureWeb({ addresses: ['127.0.0.1'] });
  for (const p of PATHS) web.set(HOST, p, { kind: 'body', body: makeBody(p, 2000) });
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  let output = '';
  let up: TdmProcess | undefined;
  try {
    up = startTdm(['up'], {
      TDM_LOG_LEVEL: 'debug',
      TDM_DATA_DIR: dataDir,
      TDM_LISTEN: `127.0.0.1:${port}`,
      TDM_CHECK_INTERVAL: '1s',
      TDM_OFFLINE_RECHECK_INTERVAL: '1s',
      TDM_CONFIRM_DEFINITIVE: '2',
      TDM_CONFIRM_RECHECK_DELAY: '0',
      TDM_HOST_MAP: `${HOST}=127.0.0.1`,
      TDM_ALLOW_RANGES: '127.0.0.0/8',
      TDM_DOMAIN_RATE: '1000',
      TDM_ADMIN_TOKEN: ADMIN_TOKEN,
      TDM_CHROMIUM_PATH: '/nonexistent/chromium',
      ...env,
    });
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    up.child.stdout?.on('data', collect);
    up.child.stderr?.on('data', collect);
    await waitForHttp(`${api}/readyz`, up, 60_000);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const urls = PATHS.map((p) => `http://${HOST}:${web.port}${p}`);
    const posted = await fetch(`${api}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify([
        ...urls.map((url, i) => ({ url, reportId: `leak-${i}`, labels: { case: 'L-1' } })),
        // Rejected reports quote their URL in the answer: still never in a log.
        { url: `ftp://${HOST}/victim/rejected.jpg` },
        { url: `http://${HOST}:${web.port}/victim/nul.jpg`, reportId: 'x\u0000y' },
      ]),
    });
    expect(posted.status).toBe(200);
    const ids = ((await posted.json()) as Array<{ itemId?: number }>).flatMap((a) =>
      a.itemId ? [a.itemId] : [],
    );
    expect(ids).toHaveLength(3);
    // Let every item be seen online, then take two away.
    const view = async (id: number): Promise<ItemView> =>
      (await (await fetch(`${api}/v1/items/${id}`, { headers: auth })).json()) as ItemView;
    const until = async (done: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out:\n${output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    await until(async () => (await Promise.all(ids.map(view))).every((item) => item.state === 'online'));
    web.set(HOST, PATHS[0] as string, { kind: 'status', status: 404 });
    web.set(HOST, PATHS[1] as string, { kind: 'status', status: 410 });
    await until(
      async () => (await Promise.all(ids.map(view))).filter((item) => item.state === 'offline').length === 2,
    );
    // Reads that return URLs, exports, a bad query, a 404.
    await fetch(`${api}/v1/removals?format=csv`, { headers: auth });
    await fetch(`${api}/v1/removals?since=${encodeURIComponent(urls[0] as string)}`, { headers: auth });
    await fetch(`${api}/v1/items/${ids[0]}/checks`, { headers: auth });
    await fetch(`${api}/v1/nope?u=${encodeURIComponent(urls[1] as string)}`, { headers: auth });
    const metrics = await (await fetch(`${api}/metrics`)).text();
    await up.stop();
    expect(up.child.exitCode).toBe(0);
    return { output, metrics, urls };
  } finally {
    await up?.stop();
    await web.close();
  }
}

/** Every way a secret or a URL could show up in the output. */
function assertNothingLeaks(run: Run, secrets: string[]): void {
  const forbidden = [
    HOST,
    'secret-hoster',
    '/victim/',
    'victim%2F',
    ...run.urls,
    ...run.urls.map((url) => encodeURIComponent(url)),
    ...secrets,
    ...secrets.map((secret) => encodeURIComponent(secret)),
  ];
  expect(run.output.length).toBeGreaterThan(1000);
  // debug lines are there: the search covers them.
  expect(run.output).toContain('"level":20');
  for (const text of forbidden) {
    expect(run.output.includes(text), `output contains ${JSON.stringify(text)}`).toBe(false);
    expect(run.metrics.includes(text), `/metrics contains ${JSON.stringify(text)}`).toBe(false);
  }
  // What the logs carry instead: item ids and the registrable domain.
  expect(run.output).toMatch(/"itemId":\d+/);
}

describe('nothing sensitive leaks from a running cluster', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('with credentials in NATS_URL and DATABASE_URL, at debug level', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tdm-leak-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // A server without auth takes any user and password: what matters here is that the
    // credentials in the URL are never printed (NATS auth itself is tested with the TLS work).
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const db: TestDatabase = await createTestDatabase('leaks');
    cleanups.push(() => db.drop());
    const dbUrl = new URL(db.url);
    dbUrl.password = encodeURIComponent(DB_PASSWORD);
    const run = await runPipeline(
      {
        NATS_URL: `nats://${NATS_USER}:${NATS_PASSWORD}@127.0.0.1:${nats.port}`,
        DATABASE_URL: dbUrl.toString(),
      },
      dataDir,
    );
    assertNothingLeaks(run, [NATS_PASSWORD, DB_PASSWORD, ADMIN_TOKEN, 's3@cr', 'cr:et']);
  }, 120_000);

  it('on the embedded defaults: no leak, and the data folder is private (0700, files 0600)', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'tdm-leak-')), 'data');
    cleanups.push(() => rmSync(path.dirname(dataDir), { recursive: true, force: true }));
    const run = await runPipeline({ NATS_URL: '', DATABASE_URL: '' }, dataDir);
    assertNothingLeaks(run, [ADMIN_TOKEN]);
    const entries = [dataDir, ...filesUnder(dataDir)];
    const files = entries.filter((entry) => statSync(entry).isFile());
    expect(files.some((file) => file.includes(`${path.sep}pglite${path.sep}`))).toBe(true);
    expect(files.some((file) => file.includes(`${path.sep}nats${path.sep}`))).toBe(true);
    const open = entries
      .map((entry) => ({ entry, mode: statSync(entry).mode & 0o777 }))
      .filter(({ mode }) => (mode & 0o077) !== 0)
      .map(({ entry, mode }) => `${mode.toString(8)} ${path.relative(dataDir, entry)}`);
    expect(open, open.slice(0, 10).join('\n')).toEqual([]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 120_000);
});
