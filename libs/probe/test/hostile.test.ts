/**
 * A hostile internet, on loopback: every case is served by the fixture web (or its silent
 * TCP server), all run at once on ONE prober together with normal checks, and each must
 * reach its verdict within the limit that is meant to stop it, while memory stays bounded
 * and the normal checks still succeed quickly. The limits are the shipped defaults
 * (maxBodyBytes 64 MiB, maxRedirects 10, maxHeaderBytes 256 KiB) with the timeouts scaled
 * down (connect 2 s, headers 3 s, check 8 s) so the test takes seconds, not minutes.
 *
 * The printed table (case → verdict → ms, and the memory peak) is what
 * docs/hostile-internet.md reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Outcome, type ProbeResult, type Reason } from '@tdm/core';
import {
  makeBody,
  sha256Hex,
  startFixtureWeb,
  startSilentServer,
  type FixtureWeb,
  type SilentServer,
} from '@tdm/fixture-web';
import {
  createHttpProber,
  DEFAULT_MAX_HEADER_BYTES,
  type HttpProber,
  type HttpProberOptions,
} from '@tdm/probe';
import { closedPort } from './servers.js';

const MiB = 1024 * 1024;
const config = loadConfig({
  env: {},
  overrides: { connectTimeout: '2s', headersTimeout: '3s', checkTimeout: '8s' },
});
/** Slack on every time bound: timers, a busy event loop, a loaded CI machine. */
const SLACK_MS = 2500;

let web: FixtureWeb;
let silent: SilentServer;
let prober: HttpProber;
/** Same limits, but a body limit above 200 MB: the whole body streams through the hashes. */
let wideProber: HttpProber;
let options: HttpProberOptions;

const NORMAL_BODY = makeBody('normal image', 50_000);

beforeAll(async () => {
  web = await startFixtureWeb();
  silent = await startSilentServer();
  options = {
    ...config,
    dnsServers: [`127.0.0.1:${await closedPort()}`], // no made-up name may reach a real resolver
    hostMap: { 'hostile.test': '127.0.0.1', 'normal.test': '127.0.0.1', 'silent.test': '127.0.0.1' },
    allowRanges: ['127.0.0.0/8'],
  };
  prober = createHttpProber(options);
  wideProber = createHttpProber({ ...options, maxBodyBytes: 256 * MiB });

  web.set('normal.test', '/img.jpg', { kind: 'body', body: NORMAL_BODY, contentType: 'image/jpeg' });
  web.set('hostile.test', '/slow-headers', { kind: 'slow-headers', bytesPerSecond: 1 });
  web.set('hostile.test', '/endless', { kind: 'endless' });
  web.set('hostile.test', '/gzip-bomb', { kind: 'gzip-bomb', expandedBytes: 1024 * MiB });
  web.set('hostile.test', '/br-bomb', { kind: 'br-bomb', expandedBytes: 1024 * MiB });
  web.set('hostile.test', '/loop', { kind: 'redirect', location: '/loop' });
  for (let hop = 0; hop < 50; hop++)
    web.set('hostile.test', `/chain/${hop}`, { kind: 'redirect', location: `/chain/${hop + 1}` });
  web.set('hostile.test', '/chain/50', { kind: 'body', body: NORMAL_BODY });
  web.set('hostile.test', '/headers', { kind: 'many-headers', count: 50_000 });
  web.set('hostile.test', '/200mb', { kind: 'sized', bytes: 200 * 1000 * 1000, contentType: 'video/mp4' });
  web.set('hostile.test', '/reset-mid-body', { kind: 'reset-mid-body', body: makeBody('reset', 1 * MiB) });
  web.set('hostile.test', '/stall', { kind: 'stall' });
  // The bombs are built when set; wait for them so their build is not in the measurement.
  await Promise.all(
    ['/gzip-bomb', '/br-bomb'].map((path) => prober.probe(`http://hostile.test:${web.port}${path}`, {})),
  );
});

afterAll(async () => {
  await prober?.close();
  await wideProber?.close();
  await silent?.close();
  await web?.close();
});

interface HostileCase {
  name: string;
  url: () => string;
  /** The prober to use (default: the one with the shipped limits). */
  wide?: boolean;
  outcome: Outcome;
  reason: Reason | null;
  /** The limit that must stop it, for the table and the docs. */
  stoppedBy: string;
  /** Upper bound on the check's duration. */
  withinMs: number;
  check?: (result: ProbeResult) => void;
}

const url = (path: string): string => `http://hostile.test:${web.port}${path}`;

const cases: HostileCase[] = [
  {
    name: 'response head at 1 byte/s',
    url: () => url('/slow-headers'),
    outcome: 'offline',
    reason: 'timeout',
    stoppedBy: 'headersTimeoutMs',
    withinMs: config.headersTimeoutMs + SLACK_MS,
  },
  {
    name: 'endless body',
    url: () => url('/endless'),
    outcome: 'online',
    reason: null,
    stoppedBy: 'maxBodyBytes',
    withinMs: config.checkTimeoutMs,
    check: (r) => {
      expect(r.bytes).toBe(config.maxBodyBytes);
      expect(r.error).toMatch(/body cut/);
    },
  },
  {
    name: 'gzip bomb (1 GiB of zeros)',
    url: () => url('/gzip-bomb'),
    outcome: 'online',
    reason: null,
    stoppedBy: 'maxBodyBytes',
    withinMs: config.checkTimeoutMs,
    check: (r) => expect(r.bytes).toBe(config.maxBodyBytes),
  },
  {
    name: 'brotli bomb (1 GiB of zeros)',
    url: () => url('/br-bomb'),
    outcome: 'online',
    reason: null,
    stoppedBy: 'maxBodyBytes',
    withinMs: config.checkTimeoutMs,
    check: (r) => expect(r.bytes).toBe(config.maxBodyBytes),
  },
  {
    name: 'redirect loop',
    url: () => url('/loop'),
    outcome: 'offline',
    reason: 'too_many_redirects',
    stoppedBy: 'maxRedirects',
    withinMs: config.checkTimeoutMs,
    check: (r) => expect(r.redirects).toHaveLength(config.maxRedirects + 1),
  },
  {
    name: '50-hop redirect chain',
    url: () => url('/chain/0'),
    outcome: 'offline',
    reason: 'too_many_redirects',
    stoppedBy: 'maxRedirects',
    withinMs: config.checkTimeoutMs,
    check: (r) => {
      expect(r.redirects).toHaveLength(config.maxRedirects + 1);
      expect(r.finalUrl).toBe(url(`/chain/${config.maxRedirects + 1}`));
    },
  },
  {
    name: '50,000 response headers',
    url: () => url('/headers'),
    outcome: 'offline',
    reason: 'connection_reset',
    stoppedBy: 'maxHeaderBytes',
    withinMs: config.checkTimeoutMs,
    check: (r) => expect(r.error).toMatch(/UND_ERR_HEADERS_OVERFLOW/),
  },
  {
    name: '200 MB body, cut at maxBodyBytes',
    url: () => url('/200mb'),
    outcome: 'online',
    reason: null,
    stoppedBy: 'maxBodyBytes',
    withinMs: config.checkTimeoutMs,
    check: (r) => expect(r.bytes).toBe(config.maxBodyBytes),
  },
  {
    name: '200 MB body, hashed whole (maxBodyBytes 256 MiB)',
    url: () => url('/200mb'),
    wide: true,
    outcome: 'online',
    reason: null,
    stoppedBy: 'none (streamed)',
    withinMs: config.checkTimeoutMs,
    check: (r) => {
      expect(r.bytes).toBe(200 * 1000 * 1000);
      expect(r.error).toBeNull();
    },
  },
  {
    name: 'reset mid-body',
    url: () => url('/reset-mid-body'),
    outcome: 'offline',
    reason: 'connection_reset',
    stoppedBy: 'the peer (RST)',
    withinMs: config.checkTimeoutMs,
    check: (r) => expect(r.httpStatus).toBe(200),
  },
  {
    name: 'TLS handshake never completes',
    url: () => `https://silent.test:${silent.port}/`,
    outcome: 'offline',
    reason: 'timeout',
    stoppedBy: 'connectTimeoutMs',
    withinMs: config.connectTimeoutMs + SLACK_MS,
    check: (r) => expect(r.httpStatus).toBeNull(),
  },
  {
    name: 'accepts, says nothing',
    url: () => url('/stall'),
    outcome: 'offline',
    reason: 'timeout',
    stoppedBy: 'headersTimeoutMs',
    withinMs: config.headersTimeoutMs + SLACK_MS,
  },
];

interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
}

/** Samples process memory every 50 ms until stopped; keeps only the peaks. */
function sampleMemory(): { stop(): MemorySample } {
  const peak: MemorySample = { rss: 0, heapUsed: 0, external: 0 };
  const take = (): void => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  };
  take();
  const timer = setInterval(take, 50);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

const mb = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;

describe('a hostile internet, all at once on one prober', () => {
  it('every case reaches its verdict in time; memory stays bounded; normal checks are unaffected', async () => {
    const before = process.memoryUsage();
    const sampler = sampleMemory();
    const started = Date.now();

    const hostile = cases.map(async (c) => {
      const t0 = Date.now();
      const result = await (c.wide ? wideProber : prober).probe(c.url(), {});
      return { c, result, ms: Date.now() - t0 };
    });

    // Normal checks while the hostile ones run: one every 250 ms for ~3 s, each must be
    // online with the right hash and quick.
    const normal: Array<{ result: ProbeResult; ms: number }> = [];
    for (let i = 0; i < 12; i++) {
      const t0 = Date.now();
      const result = await prober.probe(`http://normal.test:${web.port}/img.jpg`, {
        sha256: sha256Hex(NORMAL_BODY),
      });
      normal.push({ result, ms: Date.now() - t0 });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const settled = await Promise.all(hostile);
    const totalMs = Date.now() - started;
    const peak = sampler.stop();
    const after = process.memoryUsage();

    console.log(
      [
        '',
        '| case | verdict | ms | stopped by |',
        '| --- | --- | ---: | --- |',
        ...settled.map(
          ({ c, result, ms }) =>
            `| ${c.name} | ${result.outcome}${result.reason ? `/${result.reason}` : ''} | ${ms} | ${c.stoppedBy} |`,
        ),
        `| normal check (x${normal.length}, concurrent) | ${[...new Set(normal.map((n) => n.result.outcome))].join(',')} | max ${Math.max(...normal.map((n) => n.ms))} | |`,
        '',
        `all cases done in ${totalMs} ms; RSS before ${mb(before.rss)}, peak ${mb(peak.rss)} (+${mb(peak.rss - before.rss)}), after ${mb(after.rss)}; ` +
          `heapUsed before ${mb(before.heapUsed)}, peak ${mb(peak.heapUsed)}; external peak ${mb(peak.external)}`,
        `limits: maxBodyBytes ${config.maxBodyBytes}, maxRedirects ${config.maxRedirects}, maxHeaderBytes ${DEFAULT_MAX_HEADER_BYTES}, ` +
          `connect ${config.connectTimeoutMs} ms, headers ${config.headersTimeoutMs} ms, check ${config.checkTimeoutMs} ms`,
      ].join('\n'),
    );

    for (const { c, result, ms } of settled) {
      expect({ name: c.name, outcome: result.outcome, reason: result.reason }).toEqual({
        name: c.name,
        outcome: c.outcome,
        reason: c.reason,
      });
      expect(ms, c.name).toBeLessThan(c.withinMs);
      c.check?.(result);
    }
    for (const { result, ms } of normal) {
      expect(result).toMatchObject({ outcome: 'online', reason: null, bytes: NORMAL_BODY.length });
      expect(ms).toBeLessThan(2000);
    }
    // A 200 MB body and two 1 GiB bombs went through; memory grew by far less than any of them.
    expect(peak.rss - before.rss).toBeLessThan(200 * MiB);
    expect(peak.heapUsed - before.heapUsed).toBeLessThan(100 * MiB);

    // The worker is healthy afterwards: the same prober, sequential checks, quick.
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const result = await prober.probe(`http://normal.test:${web.port}/img.jpg`, {
        sha256: sha256Hex(NORMAL_BODY),
      });
      expect(result.outcome).toBe('online');
      expect(Date.now() - t0).toBeLessThan(1000);
    }
  });
});
