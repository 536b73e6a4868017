/**
 * Credentials, TLS and per-service permissions against a real nats-server that requires
 * TLS with client certificates and the per-service users of servicePermissions().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, nkeys } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import {
  createTestCa,
  pollUntil,
  startNatsServer,
  type CertificateFiles,
  type NatsServerHandle,
  type TestCa,
} from '@tdm/test-helpers';
import {
  BusConnectError,
  RESULTS_SUBJECT,
  authorizationBlock,
  connectBus,
  encodeJob,
  inboxPrefix,
  jobSubject,
  natsConnectOptions,
  type Bus,
  type NatsSecurity,
  type ServiceRole,
} from '@tdm/bus';
import { makeJob, makeResult } from './fixtures.js';

const PASSWORDS: Record<ServiceRole, string> = {
  scheduler: 'sched-Secret-1',
  crawler: 'crawl-Secret-2',
  results: 'result-Secret-3',
};

let ca: TestCa;
let client: CertificateFiles;
let nats: NatsServerHandle;
const buses: Bus[] = [];

function security(role: ServiceRole, password = PASSWORDS[role]): NatsSecurity {
  return {
    credentials: { user: `tdm-${role}`, password },
    tls: { caFile: ca.caFile, certFile: client.certFile, keyFile: client.keyFile },
    inboxPrefix: inboxPrefix(role),
  };
}

async function bus(
  role: ServiceRole,
  overrides: { password?: string; ensureStreams?: boolean } = {},
): Promise<Bus> {
  const opened = await connectBus({
    servers: [nats.url],
    name: `security-test-${role}`,
    jobAckWaitMs: 5000,
    jobMaxDeliver: 5,
    requestTimeoutMs: 3000,
    security: security(role, overrides.password),
    ensureStreams: overrides.ensureStreams ?? role !== 'crawler',
  });
  buses.push(opened);
  return opened;
}

beforeAll(async () => {
  ca = await createTestCa();
  const server = await ca.issueServer('nats');
  client = await ca.issueClient('tdm-client');
  nats = await startNatsServer({
    config: [
      'tls {',
      `  cert_file: ${JSON.stringify(server.certFile)}`,
      `  key_file: ${JSON.stringify(server.keyFile)}`,
      `  ca_file: ${JSON.stringify(ca.caFile)}`,
      '  verify: true',
      '}',
      authorizationBlock(
        (Object.keys(PASSWORDS) as ServiceRole[]).map((role) => ({
          role,
          user: `tdm-${role}`,
          password: PASSWORDS[role],
        })),
      ),
    ].join('\n'),
  });
});

afterAll(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await nats?.stop();
  await ca?.remove();
});

describe('NATS with TLS and per-service users', () => {
  it('connects with the right credentials, CA and client certificate', async () => {
    const scheduler = await bus('scheduler');
    expect(scheduler.connected).toBe(true);
    expect(await scheduler.pendingJobs()).toBe(0);
  });

  it('refuses a wrong password with a typed error naming NATS and the user, without the password', async () => {
    const attempt = bus('results', { password: 'wrong-Password-9' });
    await expect(attempt).rejects.toBeInstanceOf(BusConnectError);
    const error = (await attempt.catch((e: unknown) => e)) as BusConnectError;
    expect(error.code).toBe('TDM_ERR_NATS_AUTH');
    expect(error.message).toMatch(/NATS at nats:\/\/127\.0\.0\.1:\d+ refused user "tdm-results"/);
    expect(error.message).not.toContain('wrong-Password-9');
  });

  it('refuses a server certificate the pinned CA did not sign', async () => {
    const other = await createTestCa('another CA');
    try {
      const pinnedElsewhere = connectBus({
        servers: [nats.url],
        name: 'wrong-ca',
        jobAckWaitMs: 5000,
        jobMaxDeliver: 5,
        security: { ...security('scheduler'), tls: { ...security('scheduler').tls, caFile: other.caFile } },
      });
      const error = (await pinnedElsewhere.catch((e: unknown) => e)) as BusConnectError;
      expect(error).toBeInstanceOf(BusConnectError);
      expect(error.code).toBe('TDM_ERR_NATS_TLS');
      expect(error.message).toMatch(/^NATS at .*TLS failed/);
    } finally {
      await other.remove();
    }
  });

  it('names a missing credential file as a configuration error before connecting', () => {
    expect(() => natsConnectOptions({ credentials: { credsFile: '/nonexistent/tdm.creds' } })).toThrow(
      /NATS credentials file \/nonexistent\/tdm\.creds: cannot read it \(ENOENT\)/,
    );
    expect(() => natsConnectOptions({ credentials: { user: 'u', password: 'p', token: 't' } })).toThrow(
      /one of/,
    );
  });

  it('lets the crawler pull jobs and publish results, and nothing else', async () => {
    const scheduler = await bus('scheduler');
    await bus('results'); // creates the results consumer too
    const crawler = await bus('crawler');
    const job = makeJob(7);
    await scheduler.publishJobs([job]);
    const seen: string[] = [];
    const consumer = crawler.consumeJobs('http', { maxInFlight: 4, pullExpiresMs: 1000 }, async (j) => {
      seen.push(j.jobId);
      await crawler.publishResult(makeResult(j.itemId));
      return 'ack';
    });
    await pollUntil(
      () => seen.length,
      (n) => n > 0,
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    await consumer.stop(2000);
    expect(seen).toEqual([job.jobId]);

    // The same user on a raw connection: publishing a job, or reading results, is refused.
    const raw = await connect({ servers: nats.url, ...natsConnectOptions(security('crawler')) });
    try {
      const js = jetstream(raw, { timeout: 3000 });
      const forgedJob = js.publish(jobSubject('http'), encodeJob(makeJob(8)));
      await expect(forgedJob).rejects.toThrow(/permission/i);
      // Nor may it subscribe to the job or result subjects, or to another service's replies.
      for (const subject of ['tdm.checks.>', RESULTS_SUBJECT]) {
        expect(String(await raw.subscribe(subject).closed)).toMatch(/permission/i);
      }
      const inbox = raw.subscribe(`${inboxPrefix('results')}.>`);
      expect(String(await inbox.closed)).toMatch(/permission/i);
    } finally {
      await raw.close();
    }
    expect(await scheduler.pendingJobs()).toBe(0);
  });
});

describe('NATS with a token, and with an NKey', () => {
  it('connects with the right token and refuses a wrong one', async () => {
    const server = await startNatsServer({ config: 'authorization { token: "tdm-Token-42" }' });
    try {
      const options = { servers: [server.url], name: 'token-test', jobAckWaitMs: 5000, jobMaxDeliver: 5 };
      const good = await connectBus({ ...options, security: { credentials: { token: 'tdm-Token-42' } } });
      expect(await good.pendingJobs()).toBe(0);
      await good.close();
      const bad = await connectBus({ ...options, security: { credentials: { token: 'guess' } } }).catch(
        (e: unknown) => e,
      );
      expect((bad as BusConnectError).code).toBe('TDM_ERR_NATS_AUTH');
      expect((bad as BusConnectError).message).toMatch(/refused a token/);
      expect((bad as BusConnectError).message).not.toContain('guess');
    } finally {
      await server.stop();
    }
  });

  it('connects with an NKey seed file', async () => {
    const user = nkeys.createUser();
    const seedFile = path.join(ca.dir, 'user.nk');
    await writeFile(seedFile, new TextDecoder().decode(user.getSeed()) + '\n', { mode: 0o600 });
    const server = await startNatsServer({
      config: `authorization { users = [ { nkey: ${JSON.stringify(user.getPublicKey())} } ] }`,
    });
    try {
      const options = { servers: [server.url], name: 'nkey-test', jobAckWaitMs: 5000, jobMaxDeliver: 5 };
      const good = await connectBus({ ...options, security: { credentials: { nkeySeedFile: seedFile } } });
      expect(await good.pendingJobs()).toBe(0);
      await good.close();
      const other = nkeys.createUser();
      const otherFile = path.join(ca.dir, 'other.nk');
      await writeFile(otherFile, new TextDecoder().decode(other.getSeed()), { mode: 0o600 });
      const bad = await connectBus({
        ...options,
        security: { credentials: { nkeySeedFile: otherFile } },
      }).catch((e: unknown) => e);
      expect((bad as BusConnectError).code).toBe('TDM_ERR_NATS_AUTH');
    } finally {
      await server.stop();
    }
  });
});
