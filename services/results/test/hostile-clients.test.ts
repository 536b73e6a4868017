/**
 * A hostile client cannot hurt the API (issue 8 §5): a bounded fast-check fuzz of
 * POST /v1/reports and the query routes, then real sockets on loopback for the limits that
 * only a socket shows (header size, slow headers, idle connections, the connection cap),
 * the per-token rate limit and the Host allow-list.
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERRORS, REPORT_ERRORS } from '@tdm/results';
import { BACKENDS, openHarness, type Harness, type ReportAnswer } from './support.js';

const DOCUMENTED = new Set<string>([...Object.keys(API_ERRORS), ...Object.keys(REPORT_ERRORS)]);
const MiB = 1024 * 1024;

/** Every code in a response: the request's error, or each rejected report's. */
function codesOf(status: number, body: string): string[] {
  if (status === 200 && body.startsWith('[')) {
    return (JSON.parse(body) as ReportAnswer[]).flatMap((answer) =>
      answer.error ? [answer.error.code] : [],
    );
  }
  const parsed = JSON.parse(body) as { error?: { code?: unknown } };
  return [String(parsed.error?.code)];
}

const deep = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** A good report, unique per call, so that the test knows exactly what must be kept. */
let goodSerial = 0;
function goodReport(): { url: string; reportId: string; source: string } {
  goodSerial += 1;
  return { url: `https://good.example/r/${goodSerial}.jpg`, reportId: `good-${goodSerial}`, source: 'fuzz' };
}

/** Hostile report texts (JSON fragments), each one report's worth. */
const hostileReport: fc.Arbitrary<string> = fc.oneof(
  fc.constant('{"__proto__":{"admin":true},"url":"https://p.example/a"}'),
  fc.constant('{"constructor":{"prototype":{"x":1}},"url":"https://p.example/b"}'),
  fc.constant('{"url":"https://p.example/c","labels":{"__proto__":"x","constructor":"y"}}'),
  fc.constant(`{"url":"https://p.example/d","labels":${deep(10_000)}}`),
  fc.constant('{"url":"https://p.example/e","reportedAt":1e999999}'),
  fc.constant('{"url":123456789012345678901234567890123456789,"reportId":-0}'),
  fc.constant('{"url":"https://p.example/%zz%00%E0%A4%A","reportId":"%00%ff"}'),
  fc.constant('{"url":"https://p.example/\\ud800","source":"\\udfff"}'),
  fc.constant('{"url":"https://p.example/f","reportId":"a\\u0000b"}'),
  fc.constant(`{"url":"https://p.example/${'x'.repeat(200_000)}"}`),
  fc.string({ maxLength: 40 }).map((t) => JSON.stringify({ url: 'https://p.example/g', noticeSentAt: t })),
  fc.string({ maxLength: 70 }).map((t) => JSON.stringify({ url: 'https://p.example/h', sha256: t })),
  fc
    .string({ unit: 'binary', maxLength: 30 })
    .map((t) => JSON.stringify({ url: `https://p.example/${t}`, reportId: t })),
  fc
    .string({ unit: 'grapheme', maxLength: 30 })
    .map((t) => JSON.stringify({ url: `https://${t}.example/`, labels: { t } })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

/** A whole request: a body in one of the formats, or a hostile query. */
type FuzzRequest = { method: 'POST' | 'GET'; url: string; contentType?: string; body?: string; good: number };

const mixedJsonBatch: fc.Arbitrary<FuzzRequest> = fc
  .array(fc.oneof(hostileReport, fc.constant('GOOD')), { minLength: 1, maxLength: 8 })
  .map((parts) => {
    let good = 0;
    const texts = parts.map((part) => {
      if (part !== 'GOOD') return part;
      good += 1;
      return JSON.stringify(goodReport());
    });
    return {
      method: 'POST',
      url: '/v1/reports',
      contentType: 'application/json',
      body: `[${texts.join(',')}]`,
      good,
    };
  });

const mixedNdjsonBatch: fc.Arbitrary<FuzzRequest> = fc
  .array(fc.oneof(hostileReport, fc.string({ maxLength: 30 }), fc.constant('GOOD')), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => {
    let good = 0;
    const lines = parts.map((part) => {
      if (part !== 'GOOD') return part.replace(/[\r\n]/g, ' ');
      good += 1;
      return JSON.stringify(goodReport());
    });
    return {
      method: 'POST',
      url: '/v1/reports',
      contentType: 'application/x-ndjson',
      body: lines.join('\n'),
      good,
    };
  });

const malformedBody: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc.string({ maxLength: 60 }),
    fc.constant(deep(10_000)),
    fc.constant(`[${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}]`),
    fc.constant('{"__proto__":[]}'),
    fc.constant('[1e999999, -1e999999, 123456789012345678901234567890]'),
    fc.constant('[{"url":"https://a.example/"'),
    fc.constant('\ufeff[]'),
  )
  .chain((body) =>
    fc
      .constantFrom(
        'application/json',
        'application/x-ndjson',
        'text/plain',
        'application/json; charset=utf-16',
      )
      .map((contentType): FuzzRequest => ({
        method: 'POST',
        url: '/v1/reports',
        contentType,
        body,
        good: 0,
      })),
  );

const hostileQuery: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc.constantFrom(
      '/v1/items/%zz',
      '/v1/items/0',
      '/v1/items/-1',
      '/v1/items/99999999999999999999999',
      '/v1/items/1e3',
      '/v1/items/%00',
      '/v1/items/__proto__',
      '/v1/items/1/checks?limit=1e999',
      '/v1/removals?since=%ff',
      '/v1/removals?since=0000-01-01',
      '/v1/removals?since=9999-12-31T23:59:59-23:59',
      '/v1/removals?format=%00',
      '/v1/removals?since=2024-01-01&since=2024-02-01',
      '/v1/removals?__proto__=1',
      '/%2e%2e/%2e%2e/etc/passwd',
    ),
    fc.string({ maxLength: 20 }).map((t) => `/v1/removals?since=${encodeURIComponent(t)}`),
    fc.string({ unit: 'binary', maxLength: 20 }).map((t) => `/v1/items/${encodeURIComponent(t)}`),
  )
  .map((url): FuzzRequest => ({ method: 'GET', url, good: 0 }));

describe('fuzz: hostile requests get documented codes and change nothing else', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(BACKENDS[0] as (typeof BACKENDS)[number]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers every request with a documented code, keeps the good reports, /healthz stays 200', async () => {
    const before = await h.store.countItemsByState();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);
    const codes = new Map<string, number>();
    const statuses = new Map<number, number>();
    let requests = 0;
    let goodSent = 0;
    let goodKept = 0;
    // Hostile but valid reports (odd Unicode in a path, say) are kept too: every item must
    // be one that some answer named.
    const answeredItems = new Set<number>();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(mixedJsonBatch, mixedNdjsonBatch, malformedBody, hostileQuery),
          async (req) => {
            const response = await h.app.inject({
              method: req.method,
              url: req.url,
              ...(req.contentType === undefined ? {} : { headers: { 'content-type': req.contentType } }),
              ...(req.body === undefined ? {} : { payload: req.body }),
            });
            requests += 1;
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            if (response.statusCode === 200 && req.method === 'GET') return;
            expect(response.statusCode, `${req.url} ${response.body.slice(0, 300)}`).not.toBe(500);
            for (const code of codesOf(response.statusCode, response.body)) {
              expect(DOCUMENTED.has(code), `${code} for ${req.url}`).toBe(true);
              codes.set(code, (codes.get(code) ?? 0) + 1);
            }
            goodSent += req.good;
            if (response.statusCode === 200 && req.method === 'POST') {
              const answers = response.json() as ReportAnswer[];
              goodKept += answers.filter((a) => a.reportId?.startsWith('good-')).length;
              for (const answer of answers) if (answer.itemId !== undefined) answeredItems.add(answer.itemId);
            }
            if (requests % 25 === 0) expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
          },
        ),
        { numRuns: 300, interruptAfterTimeLimit: 30_000, seed: 8_2026 },
      );

      // A 50 MB body is refused at the limit, without being read whole.
      const big = `[${JSON.stringify({ url: 'https://big.example/', labels: { a: 'x'.repeat(50 * MiB) } })}]`;
      for (const contentType of ['application/json', 'application/x-ndjson']) {
        const response = await h.app.inject({
          method: 'POST',
          url: '/v1/reports',
          headers: { 'content-type': contentType },
          payload: big,
        });
        requests += 1;
        statuses.set(413, (statuses.get(413) ?? 0) + 1);
        expect(response.statusCode).toBe(413);
        const [code] = codesOf(response.statusCode, response.body);
        expect(code).toBe('TDM_ERR_BODY_TOO_LARGE');
        codes.set(code as string, (codes.get(code as string) ?? 0) + 1);
      }
    } finally {
      clearInterval(sampler);
    }

    // Nothing else changed: every good report was kept, and no item exists that no answer named.
    const after = await h.store.countItemsByState();
    const total = (c: typeof before): number => c.pending + c.online + c.offline;
    expect(goodKept).toBe(goodSent);
    expect(total(after) - total(before)).toBe(answeredItems.size);
    expect(after.online + after.offline).toBe(before.online + before.offline);
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    global.gc?.();
    const rssAfter = process.memoryUsage().rss;
    const mb = (n: number): string => `${(n / MiB).toFixed(0)} MB`;
    console.log(
      `fuzz: ${requests} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `codes ${JSON.stringify(Object.fromEntries(codes))}; good reports kept ${goodKept}/${goodSent}, items ${answeredItems.size}; ` +
        `RSS before ${mb(rssBefore)}, peak ${mb(rssPeak)}, after ${mb(rssAfter)}`,
    );
    expect(requests).toBeGreaterThan(50);
    // Bounded: the 32 MiB limit and the JSON limits cap what one request can hold.
    expect(rssPeak - rssBefore).toBeLessThan(400 * MiB);
  }, 120_000);
});

/** Opens a raw socket to the app. */
async function openSocket(port: number): Promise<Socket> {
  return await new Promise((resolve, reject) => {
    // Reading (resume) lets the client see the server close; it still sends nothing.
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket.resume()));
    socket.once('error', reject);
  });
}

/** Sends a raw request and reads until the server closes or `ms` pass. */
async function rawRequest(port: number, text: string, ms = 3000): Promise<string> {
  const socket = await openSocket(port);
  return await new Promise((resolve) => {
    let data = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.includes('\r\n\r\n') && /content-length: (\d+)/i.test(data)) {
        const length = Number(/content-length: (\d+)/i.exec(data)?.[1]);
        if (data.length - data.indexOf('\r\n\r\n') - 4 >= length) done();
      }
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.write(text);
  });
}

describe('limits on real sockets', () => {
  let h: Harness;
  let port = 0;
  beforeAll(async () => {
    h = await openHarness(BACKENDS[0] as (typeof BACKENDS)[number], {
      server: {
        maxHeaderBytes: 8 * 1024,
        headersTimeoutMs: 1500,
        requestTimeoutMs: 3000,
        keepAliveTimeoutMs: 1000,
        idleTimeoutMs: 3000,
        maxConnections: 600,
      },
      rateLimit: { max: 5, windowMs: 60_000 },
      allowedHosts: ['tdm.internal.example'],
      // Transport limits only: made-up bearer values must reach the rate limiter, not be
      // refused as unknown tokens (access control has its own tests, auth.test.ts).
      auth: { enabled: false },
    });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}): Promise<Response> =>
    await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(5000) });

  it('answers oversized headers with 431 and a documented code', async () => {
    const text = await rawRequest(
      port,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(text).toContain('TDM_ERR_HEADERS_TOO_LARGE');
  });

  it('serves others while a client sends headers at 1 byte/s and 500 connections sit idle', async () => {
    const idle = await Promise.all(Array.from({ length: 500 }, () => openSocket(port)));
    const slow = await openSocket(port);
    let slowClosedAt = 0;
    const started = Date.now();
    slow.on('close', () => (slowClosedAt = Date.now()));
    slow.on('error', () => undefined);
    const head = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    let sent = 0;
    const drip = setInterval(() => {
      if (!slow.destroyed) slow.write(head[sent % head.length] as string);
      sent += 1;
    }, 1000);
    try {
      // Others are served at once, every time, while the slow and the idle ones hang on.
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const response = await get('/healthz');
        expect(response.status).toBe(200);
        expect(Date.now() - t0).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // The slow client is cut off by the headers timeout (1.5 s + the 1 s check interval).
      const deadline = Date.now() + 5000;
      while (slowClosedAt === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(slowClosedAt).toBeGreaterThan(0);
      expect(slowClosedAt - started).toBeLessThan(4500);
      // The idle ones are closed by the idle timeout (3 s here).
      let idleClosed = 0;
      while (Date.now() < started + 6000) {
        idleClosed = idle.filter((socket) => socket.destroyed || socket.readableEnded).length;
        if (idleClosed === idle.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(
        `slow client cut after ${slowClosedAt - started} ms; idle sockets closed after ${Date.now() - started} ms: ${idleClosed}/500`,
      );
      expect(idleClosed).toBe(500);
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      clearInterval(drip);
      slow.destroy();
      for (const socket of idle) socket.destroy();
    }
  }, 20_000);

  it('caps open connections: beyond the cap a connection is refused, and served again once below', async () => {
    const held = await Promise.all(Array.from({ length: 600 }, () => openSocket(port)));
    try {
      const extra = await openSocket(port);
      const closed = await new Promise<boolean>((resolve) => {
        extra.on('close', () => resolve(true));
        extra.on('error', () => resolve(true));
        setTimeout(() => resolve(false), 2000);
      });
      expect(closed).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await get('/healthz')).status).toBe(200);
  }, 20_000);

  it('rate-limits per bearer token (429, Retry-After, documented code), then per address', async () => {
    const as = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
    for (let i = 0; i < 5; i++) expect((await get('/v1/removals', as('token-a'))).status).toBe(200);
    const limited = await get('/v1/removals', as('token-a'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { code: 'TDM_ERR_RATE_LIMITED' } });
    // Another token has its own budget; so does a client without one (keyed by address).
    expect((await get('/v1/removals', as('token-b'))).status).toBe(200);
    expect((await get('/v1/removals')).status).toBe(200);
    // Probes and scrapes are not rate-limited.
    for (let i = 0; i < 8; i++) expect((await get('/healthz', as('token-a'))).status).toBe(200);
  });

  it('answers only allowed Host names (DNS rebinding): loopback names, IP literals, configured names', async () => {
    for (const host of [
      '127.0.0.1:8080',
      'localhost',
      'LOCALHOST:1',
      '[::1]:8080',
      '10.1.2.3:8080',
      'tdm.internal.example',
    ]) {
      const text = await rawRequest(
        port,
        `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(text, host).toMatch(/^HTTP\/1\.1 200 /);
    }
    for (const host of ['evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io']) {
      const text = await rawRequest(
        port,
        `GET /v1/removals HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(text, host).toMatch(/^HTTP\/1\.1 421 /);
      expect(text, host).toContain('TDM_ERR_HOST_NOT_ALLOWED');
    }
  });
});
