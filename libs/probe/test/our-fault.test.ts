/**
 * Our fault is not their removal: every failure on our side ends as outcome `error` with
 * its own reason and a cause in `error`, and the real state machine neither starts nor
 * extends an offline run for it, however many come in a row.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCheck, newItemStatus, type ExpectedHashes, type ProbeResult, type Reason } from '@tdm/core';
import {
  makeBody,
  startFixtureWeb,
  startSilentServer,
  type FixtureWeb,
  type SilentServer,
} from '@tdm/fixture-web';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort } from './servers.js';

let web: FixtureWeb;
let silent: SilentServer;
let refusingDns: string;
let deafDns: ReturnType<typeof createSocket>;
let deafDnsPort: number;
const probers: HttpProber[] = [];

beforeAll(async () => {
  web = await startFixtureWeb();
  silent = await startSilentServer();
  web.set('site.test', '/img.jpg', { kind: 'body', body: makeBody('img', 1000), contentType: 'image/jpeg' });
  web.set('site.test', '/429', { kind: 'status', status: 429 });
  refusingDns = `127.0.0.1:${await closedPort()}`;
  deafDns = createSocket('udp4');
  deafDns.on('message', () => undefined); // swallows every query
  await new Promise<void>((resolve) => deafDns.bind(0, '127.0.0.1', resolve));
  deafDnsPort = deafDns.address().port;
});

afterAll(async () => {
  await Promise.all(probers.map((p) => p.close()));
  await silent.close();
  await web.close();
  deafDns.close();
});

function make(overrides: Parameters<typeof loopbackOptions>[1] = {}, dns = refusingDns): HttpProber {
  const prober = createHttpProber(loopbackOptions([dns], overrides));
  probers.push(prober);
  return prober;
}

interface FaultCase {
  name: string;
  run: () => Promise<ProbeResult>;
  reason: Reason;
  cause: RegExp;
}

const cases: FaultCase[] = [
  {
    name: 'worker shutdown: the caller aborts mid-check',
    run: async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      return await make().probe(`http://site.test:${silent.port}/`, {}, { signal: controller.signal });
    },
    reason: 'worker_shutdown',
    cause: /TDM_ERR_CHECK_ABORTED/,
  },
  {
    name: 'worker shutdown: the prober is closed mid-check',
    run: async () => {
      const prober = make();
      const pending = prober.probe(`http://site.test:${silent.port}/`, {});
      setTimeout(() => void prober.close(), 100);
      return await pending;
    },
    reason: 'worker_shutdown',
    cause: /TDM_ERR_CHECK_ABORTED/,
  },
  {
    name: 'worker shutdown: a check started after close() sends nothing',
    run: async () => {
      const prober = make();
      await prober.close();
      return await prober.probe(web.url('site.test', '/img.jpg'), {});
    },
    reason: 'worker_shutdown',
    cause: /shutting down/,
  },
  {
    name: 'resolver unreachable: our DNS server port is closed',
    run: () => make({ hostMap: {} }).probe(`http://site.test:${web.port}/img.jpg`, {}),
    reason: 'resolver_unavailable',
    cause: /TDM_ERR_DNS.*ECONNREFUSED/,
  },
  {
    name: 'resolver unreachable: our DNS server never answers (check times out in DNS)',
    run: () =>
      make({ hostMap: {}, connectTimeoutMs: 20_000, checkTimeoutMs: 800 }, `127.0.0.1:${deafDnsPort}`).probe(
        `http://site.test:${web.port}/img.jpg`,
        {},
      ),
    reason: 'resolver_unavailable',
    cause: /timed out waiting for DNS/,
  },
  {
    name: 'policy refusal: the address is not allowed',
    run: () => make({ allowRanges: [] }).probe(web.url('site.test', '/img.jpg'), {}),
    reason: 'blocked',
    cause: /TDM_ERR_BLOCKED: address 127\.0\.0\.1 of site\.test/,
  },
  {
    name: 'internal bug: a malformed expected object from a caller',
    run: () => make().probe(web.url('site.test', '/img.jpg'), { sha256: 42 } as unknown as ExpectedHashes),
    reason: 'internal',
    cause: /toLowerCase/,
  },
  {
    name: 'internal: a URL we cannot check (bad scheme)',
    run: () => make().probe('gopher://site.test/', {}),
    reason: 'internal',
    cause: /unsupported scheme/,
  },
  {
    name: 'rate limited: the target answered 429 (we were too fast)',
    run: () => make().probe(web.url('site.test', '/429'), {}),
    reason: 'rate_limited',
    cause: /.*/,
  },
];

describe('our side failures are error, with a cause, and never count', () => {
  it.each(cases)('$name', async (c) => {
    const result = await c.run();
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({
      outcome: 'error',
      reason: c.reason,
    });
    expect(result.error ?? '').toMatch(c.cause);
    // No answer was seen for these (a bug after the answer keeps its status; 429 is one).
    if (c.reason !== 'rate_limited' && c.reason !== 'internal') expect(result.httpStatus).toBeNull();
  });

  it('the state machine: an online item stays online with no offline run through any number of them', async () => {
    const policy = { confirmDefinitive: 2, confirmTransient: 4, confirmTransientMinSpanMs: 0 };
    let status = applyCheck(
      newItemStatus(),
      { scheduledAt: new Date(1000), startedAt: new Date(1000), outcome: 'online', reason: null },
      policy,
    ).status;
    let t = 2000;
    for (let round = 0; round < 3; round++) {
      for (const c of cases) {
        const result = await c.run();
        t += 1000;
        const next = applyCheck(
          status,
          {
            scheduledAt: new Date(t),
            startedAt: new Date(t),
            outcome: result.outcome,
            reason: result.reason,
          },
          policy,
        );
        expect(next.applied).toBe(true);
        expect(next.transitions).toEqual([]);
        status = next.status;
      }
    }
    expect(status).toMatchObject({
      state: 'online',
      runLength: 0,
      runStartedAt: null,
      offlineAt: null,
      checks: 1 + 3 * cases.length,
    });
  });
});
