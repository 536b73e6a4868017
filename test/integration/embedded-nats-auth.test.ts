/**
 * `tdm up`'s own nats-server (issue 8, "forged results on the bus"): it listens on
 * loopback only, refuses anonymous clients, and each service's user may do only its own
 * job, so nobody else on the machine can read the tracked URLs off `tdm.checks.>` or
 * publish results. The configuration with the generated passwords is private (0600).
 * The same `tdm up` serves its API over HTTPS (TDM_TLS_CERT/KEY, a CA made here).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusConnectError, connectBus, inboxPrefix, type Bus } from '@tdm/bus';
import { request } from 'node:https';
import { createTestCa, freePort, startTdm, type TdmProcess, type TestCa } from '@tdm/test-helpers';

/** GET over HTTPS trusting only `ca`: status and HSTS header, or the error. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; hsts: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          hsts: res.headers['strict-transport-security'] as string | undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the embedded nats-server of tdm up', () => {
  let up: TdmProcess;
  let dataDir: string;
  let conf = '';
  let natsUrl = '';
  let ca: TestCa;
  let caPem: Buffer;
  let api = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tdm-up-nats-'));
    const port = await freePort();
    ca = await createTestCa();
    caPem = readFileSync(ca.caFile);
    const certificate = await ca.issueServer('tdm-up');
    api = `https://127.0.0.1:${port}`;
    up = startTdm(['up'], {
      TDM_DATA_DIR: dataDir,
      NATS_URL: '',
      DATABASE_URL: '',
      TDM_LISTEN: `127.0.0.1:${port}`,
      TDM_CHROMIUM_PATH: '',
      TDM_TLS_CERT: certificate.certFile,
      TDM_TLS_KEY: certificate.keyFile,
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (up.child.exitCode !== null) throw new Error(`tdm up exited:\n${up.output()}`);
      const status = await httpsGet(`${api}/readyz`, caPem).then(
        (answer) => answer.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`tdm up not ready over HTTPS:\n${up.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    conf = readFileSync(path.join(dataDir, 'nats-server.conf'), 'utf8');
    const listen = /^listen: "([^"]+)"$/m.exec(conf)?.[1];
    natsUrl = `nats://${listen}`;
  }, 90_000);

  afterAll(async () => {
    await up?.stop();
    await ca?.remove();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS only, with HSTS, and says so', async () => {
    const answer = await httpsGet(`${api}/healthz`, caPem);
    expect(answer).toEqual({ status: 200, hsts: 'max-age=31536000; includeSubDomains' });
    expect(up.output()).toContain(`API on ${api}`);
  });

  const password = (user: string): string => {
    const match = new RegExp(`user: "${user}"\\n\\s*password: "([^"]+)"`).exec(conf);
    if (!match?.[1]) throw new Error(`no ${user} in the embedded configuration`);
    return match[1];
  };

  const tryBus = (credentials?: { user: string; password: string }): Promise<Bus> =>
    connectBus({
      servers: [natsUrl],
      name: 'outsider',
      jobAckWaitMs: 5000,
      jobMaxDeliver: 5,
      ensureStreams: false,
      ...(credentials ? { security: { credentials, inboxPrefix: inboxPrefix('crawler') } } : {}),
    });

  it('binds 127.0.0.1, keeps its passwords in a 0600 file, one user per service', () => {
    expect(natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(path.join(dataDir, 'nats-server.conf')).mode & 0o777).toBe(0o600);
    for (const user of ['tdm-scheduler', 'tdm-crawler', 'tdm-results']) {
      expect(password(user)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    }
    expect(new Set(['tdm-scheduler', 'tdm-crawler', 'tdm-results'].map(password)).size).toBe(3);
  });

  it('refuses a client without credentials, and one with a wrong password', async () => {
    const anonymous = await tryBus().catch((error: unknown) => error);
    expect(anonymous).toBeInstanceOf(BusConnectError);
    expect((anonymous as BusConnectError).code).toBe('TDM_ERR_NATS_AUTH');
    const guessed = await tryBus({ user: 'tdm-crawler', password: 'guess' }).catch((error: unknown) => error);
    expect((guessed as BusConnectError).code).toBe('TDM_ERR_NATS_AUTH');
  });

  it("lets the crawler's user publish results but not jobs", async () => {
    const crawler = await tryBus({ user: 'tdm-crawler', password: password('tdm-crawler') });
    try {
      await expect(
        crawler.publishJobs([
          {
            jobId: '1@2024-01-01T00:00:00.000Z',
            itemId: 1,
            url: 'http://unused.invalid/',
            registrableDomain: 'unused.invalid',
            mode: 'http',
            scheduledAt: '2024-01-01T00:00:00.000Z',
            expected: {},
            publishedAt: '2024-01-01T00:00:00.000Z',
          },
        ]),
      ).rejects.toThrow(/permission/i);
    } finally {
      await crawler.close();
    }
  });
});
