/**
 * The resolver honours each answer's TTL: a name removed from DNS is seen as gone as soon
 * as its record's TTL (capped by dnsCacheMaxMs) has run out, never later. Against a real
 * dnsmasq on loopback whose `--local-ttl` sets the TTL of its hosts-file answers.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpProber, type HttpProber, type HttpProberOptions } from '@tdm/probe';
import { startDnsmasq, type Dnsmasq } from '@tdm/test-helpers';
import { loopbackOptions } from './prober-options.js';
import { startHttp, type TestServer } from './servers.js';

let web: TestServer | undefined;
let dns: Dnsmasq | undefined;
let prober: HttpProber | undefined;

afterEach(async () => {
  await prober?.close();
  await dns?.stop();
  prober = undefined;
  dns = undefined;
});
afterAll(async () => {
  await web?.close();
});

const NAME = 'gone.test';

async function setUp(ttlSeconds: number, overrides: Partial<HttpProberOptions> = {}): Promise<string> {
  web ??= await startHttp((_req, res) => res.end('still here'));
  dns = await startDnsmasq({ hosts: { [NAME]: ['127.0.0.1'] }, extraArgs: [`--local-ttl=${ttlSeconds}`] });
  prober = createHttpProber(loopbackOptions([dns.server], { hostMap: {}, ...overrides }));
  return `http://${NAME}:${web.port}/`;
}

/** Probes every 100 ms until the name is reported gone (or `limitMs` passes); returns the start times of online checks. */
async function probeUntilGone(
  url: string,
  limitMs: number,
): Promise<{ onlineStarts: number[]; goneAt: number }> {
  const onlineStarts: number[] = [];
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const started = Date.now();
    const result = await prober!.probe(url, {});
    if (result.outcome === 'online') onlineStarts.push(started);
    else {
      expect(result).toMatchObject({ outcome: 'offline', reason: 'dns_nxdomain' });
      return { onlineStarts, goneAt: started };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${NAME} still online ${limitMs} ms after its removal`);
}

describe('DNS answers are cached for their TTL, no longer', () => {
  it('TTL 0: the first check after the name is removed sees NXDOMAIN', async () => {
    const url = await setUp(0);
    expect((await prober!.probe(url, {})).outcome).toBe('online');
    await dns!.setHosts({});
    const removedAt = Date.now();
    const { onlineStarts } = await probeUntilGone(url, 3000);
    expect(onlineStarts.filter((at) => at >= removedAt)).toEqual([]);
  });

  it('TTL 5 s: the cached answer is used within the TTL, and no check later than 5 s after it sees the name', async () => {
    const url = await setUp(5);
    const answeredAt = Date.now();
    expect((await prober!.probe(url, {})).outcome).toBe('online');
    await dns!.setHosts({});
    const removedAt = Date.now();
    // Within the TTL the answer is reused: the removal is not seen yet (caching does happen).
    expect((await prober!.probe(url, {})).outcome).toBe('online');
    const { onlineStarts, goneAt } = await probeUntilGone(url, 8000);
    const lastOnline = Math.max(...onlineStarts, removedAt);
    // The TTL counts from the answer, which arrives a few ms after answeredAt: 250 ms of slack.
    expect(lastOnline - answeredAt).toBeLessThan(5000 + 250);
    expect(lastOnline - removedAt).toBeLessThan(5000);
    // …and it is seen soon after the TTL ran out (100 ms probe spacing, one query).
    expect(goneAt - answeredAt).toBeLessThan(5000 + 1500);
  });

  it('dnsCacheMaxMs caps a long TTL', async () => {
    const url = await setUp(3600, { dnsCacheMaxMs: 1000 });
    const answeredAt = Date.now();
    expect((await prober!.probe(url, {})).outcome).toBe('online');
    await dns!.setHosts({});
    const { onlineStarts, goneAt } = await probeUntilGone(url, 4000);
    expect(Math.max(...onlineStarts, answeredAt) - answeredAt).toBeLessThan(1000 + 250);
    expect(goneAt - answeredAt).toBeLessThan(1000 + 1500);
  });
});
