import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_REASONS, ERROR_REASONS, type ExpectedHashes, type ProbeResult } from '@tdm/core';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startHttp, startTcp, type TestServer } from './servers.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const sha1 = (data: string | Buffer): string => createHash('sha1').update(data).digest('hex');
const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

const BODY = 'the reported content, byte for byte';
const PLACEHOLDER = 'this image has been removed';
const LIMIT = 64 * 1024;
const MAX_REDIRECTS = 4;
// 64 MiB of zeros compress to ~64 KiB: far past LIMIT once decoded.
const BOMB = gzipSync(Buffer.alloc(64 * 1024 * 1024));

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status) {
    res.writeHead(Number(status[1]), { 'content-type': 'text/plain' });
    res.end('status page');
    return;
  }
  switch (url.pathname) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(BODY);
      return;
    case '/placeholder':
      res.end(PLACEHOLDER);
      return;
    case '/to-placeholder':
      res.writeHead(302, { location: '/static/removed.png' });
      res.end();
      return;
    case '/big':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(LIMIT * 3, 7));
      return;
    case '/bomb':
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(BOMB);
      return;
    case '/gzip':
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(BODY));
      return;
    case '/br':
      res.writeHead(200, { 'content-encoding': 'br' });
      res.end(brotliCompressSync(BODY));
      return;
    case '/reset-mid-body':
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000));
      setTimeout(() => req.socket.destroy(), 50);
      return;
    case '/chain/1':
      res.writeHead(301, { location: '/chain/2' });
      res.end();
      return;
    case '/chain/2':
      res.writeHead(302, { location: 'http://site.test:' + String(req.socket.localPort) + '/chain/3' });
      res.end();
      return;
    case '/chain/3':
      res.writeHead(307, { location: '../ok' });
      res.end();
      return;
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      res.end();
      return;
    case '/no-location':
      res.writeHead(302);
      res.end();
      return;
    case '/mailto':
      res.writeHead(302, { location: 'mailto:abuse@example.invalid' });
      res.end();
      return;
    case '/slow-body':
      res.writeHead(200);
      res.write('a');
      return; // never ends
    default:
      res.writeHead(404);
      res.end();
  }
}

let web: TestServer;
let silent: TestServer;
let slowHeaders: TestServer;
let notTls: TestServer;
let refusedPort: number;
let guardDns: string[];
let prober: HttpProber;

beforeAll(async () => {
  web = await startHttp(route);
  silent = await startTcp(() => undefined); // accepts, never answers
  slowHeaders = await startTcp((socket) => {
    const text = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) return clearInterval(timer);
      socket.write(text[i++] ?? '');
    }, 1000);
    socket.on('close', () => clearInterval(timer));
  });
  notTls = await startTcp((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
  });
  refusedPort = await closedPort();
  guardDns = [`127.0.0.1:${await closedPort()}`];
  prober = createHttpProber(
    loopbackOptions(guardDns, {
      maxBodyBytes: LIMIT,
      maxRedirects: MAX_REDIRECTS,
      placeholderSha256: [sha256(PLACEHOLDER)],
    }),
  );
});

afterAll(async () => {
  await prober.close();
  await Promise.all([web, silent, slowHeaders, notTls].map((server) => server.close()));
});

const site = (path: string): string => `http://site.test:${web.port}${path}`;

interface Case {
  name: string;
  url: () => string;
  expected?: ExpectedHashes;
  outcome: ProbeResult['outcome'];
  reason: ProbeResult['reason'];
  status?: number | null;
  check?: (result: ProbeResult) => void;
}

const cases: Case[] = [
  {
    name: '200 is online, hashed, with the peer address',
    url: () => site('/ok'),
    outcome: 'online',
    reason: null,
    status: 200,
    check: (r) => {
      expect(r.sha256).toBe(sha256(BODY));
      expect(r.bytes).toBe(Buffer.byteLength(BODY));
      expect(r.ip).toBe('127.0.0.1');
      expect(r.contentType).toBe('image/jpeg');
      expect(r.sha1).toBeNull();
      expect(r.md5).toBeNull();
      expect(r.error).toBeNull();
    },
  },
  {
    name: 'matching expected hashes (all three) is online, sha1 and md5 computed on demand',
    url: () => site('/ok'),
    expected: { sha256: sha256(BODY), sha1: sha1(BODY), md5: md5(BODY).toUpperCase() },
    outcome: 'online',
    reason: null,
    check: (r) => {
      expect(r.sha1).toBe(sha1(BODY));
      expect(r.md5).toBe(md5(BODY));
    },
  },
  {
    name: 'expected sha256 mismatch is content_changed',
    url: () => site('/ok'),
    expected: { sha256: sha256('something else') },
    outcome: 'offline',
    reason: 'content_changed',
    status: 200,
  },
  {
    name: 'expected md5 mismatch is content_changed',
    url: () => site('/ok'),
    expected: { md5: md5('something else') },
    outcome: 'offline',
    reason: 'content_changed',
  },
  {
    name: 'placeholder body hash',
    url: () => site('/placeholder'),
    outcome: 'offline',
    reason: 'placeholder',
    status: 200,
  },
  {
    name: 'redirect to a placeholder image',
    url: () => site('/to-placeholder'),
    outcome: 'offline',
    reason: 'placeholder',
    status: 302,
    check: (r) => {
      expect(r.finalUrl).toBe(site('/static/removed.png'));
      expect(r.redirects).toEqual([{ url: site('/to-placeholder'), status: 302, ip: '127.0.0.1' }]);
    },
  },
  { name: '404', url: () => site('/status/404'), outcome: 'offline', reason: 'http_404', status: 404 },
  { name: '410', url: () => site('/status/410'), outcome: 'offline', reason: 'http_410', status: 410 },
  { name: '451', url: () => site('/status/451'), outcome: 'offline', reason: 'http_451', status: 451 },
  {
    name: '403 is http_4xx',
    url: () => site('/status/403'),
    outcome: 'offline',
    reason: 'http_4xx',
    status: 403,
  },
  {
    name: '408 is timeout',
    url: () => site('/status/408'),
    outcome: 'offline',
    reason: 'timeout',
    status: 408,
  },
  {
    name: '503 is http_5xx',
    url: () => site('/status/503'),
    outcome: 'offline',
    reason: 'http_5xx',
    status: 503,
  },
  {
    name: '429 is error rate_limited',
    url: () => site('/status/429'),
    outcome: 'error',
    reason: 'rate_limited',
    status: 429,
  },
  {
    name: '204 is online (empty body)',
    url: () => site('/status/204'),
    outcome: 'online',
    reason: null,
    status: 204,
  },
  {
    name: '3xx without Location is http_4xx',
    url: () => site('/no-location'),
    outcome: 'offline',
    reason: 'http_4xx',
    status: 302,
  },
  {
    name: 'redirect to another scheme is http_4xx',
    url: () => site('/mailto'),
    outcome: 'offline',
    reason: 'http_4xx',
    status: 302,
  },
  {
    name: 'refused (closed port)',
    url: () => `http://site.test:${refusedPort}/`,
    outcome: 'offline',
    reason: 'connection_refused',
    status: null,
    check: (r) => expect(r.ip).toBe('127.0.0.1'),
  },
  {
    name: 'reset mid-body',
    url: () => site('/reset-mid-body'),
    outcome: 'offline',
    reason: 'connection_reset',
    status: 200,
    check: (r) => expect(r.sha256).toBeNull(),
  },
  {
    name: 'body larger than maxBodyBytes is cut at the limit',
    url: () => site('/big'),
    outcome: 'online',
    reason: null,
    status: 200,
    check: (r) => {
      expect(r.bytes).toBe(LIMIT);
      expect(r.sha256).toBe(sha256(Buffer.alloc(LIMIT, 7)));
      expect(r.error).toMatch(/cut at 65536 bytes/);
    },
  },
  {
    name: 'a body cut at the limit is not compared with the expected hash',
    url: () => site('/big'),
    expected: { sha256: sha256(Buffer.alloc(LIMIT * 3, 7)) },
    outcome: 'online',
    reason: null,
  },
  {
    name: 'gzip bomb stops at the limit',
    url: () => site('/bomb'),
    outcome: 'online',
    reason: null,
    status: 200,
    check: (r) => {
      expect(r.bytes).toBe(LIMIT);
      expect(r.sha256).toBe(sha256(Buffer.alloc(LIMIT)));
    },
  },
  {
    name: 'gzip body is hashed decoded',
    url: () => site('/gzip'),
    expected: { sha256: sha256(BODY) },
    outcome: 'online',
    reason: null,
    check: (r) => expect(r.bytes).toBe(Buffer.byteLength(BODY)),
  },
  {
    name: 'brotli body is hashed decoded',
    url: () => site('/br'),
    expected: { sha256: sha256(BODY) },
    outcome: 'online',
    reason: null,
  },
  {
    name: 'redirect chain recorded hop by hop',
    url: () => site('/chain/1'),
    outcome: 'online',
    reason: null,
    status: 200,
    check: (r) => {
      expect(r.redirects).toEqual([
        { url: site('/chain/1'), status: 301, ip: '127.0.0.1' },
        { url: site('/chain/2'), status: 302, ip: '127.0.0.1' },
        { url: site('/chain/3'), status: 307, ip: '127.0.0.1' },
      ]);
      expect(r.finalUrl).toBe(site('/ok'));
      expect(r.sha256).toBe(sha256(BODY));
    },
  },
  {
    name: 'redirect loop is too_many_redirects',
    url: () => site('/loop'),
    outcome: 'offline',
    reason: 'too_many_redirects',
    status: 302,
    check: (r) => expect(r.redirects).toHaveLength(MAX_REDIRECTS + 1),
  },
  {
    name: 'TLS handshake against a plain TCP server is tls_error',
    url: () => `https://site.test:${notTls.port}/`,
    outcome: 'offline',
    reason: 'tls_error',
    status: null,
  },
  {
    name: 'a name that is neither mapped nor in DNS (DNS unreachable) is resolver_unavailable',
    url: () => `http://unmapped.test:${web.port}/ok`,
    outcome: 'error',
    reason: 'resolver_unavailable',
    status: null,
  },
  { name: 'not a URL', url: () => 'not a url', outcome: 'error', reason: 'internal' },
  { name: 'ftp scheme', url: () => 'ftp://site.test/x', outcome: 'error', reason: 'internal' },
];

describe('createHttpProber: outcomes against loopback servers', () => {
  it.each(cases)('$name', async (c) => {
    const result = await prober.probe(c.url(), c.expected ?? {});
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({
      outcome: c.outcome,
      reason: c.reason,
    });
    if (c.status !== undefined) expect(result.httpStatus).toBe(c.status);
    if (result.reason !== null) expect([...OFFLINE_REASONS, ...ERROR_REASONS]).toContain(result.reason);
    c.check?.(result);
  });

  it('a redirect loop stops after maxRedirects + 1 requests', async () => {
    const before = web.requests;
    await prober.probe(site('/loop'), {});
    expect(web.requests - before).toBe(MAX_REDIRECTS + 1);
  });

  it('a server that accepts and never answers ends as timeout within the bound', async () => {
    const started = Date.now();
    const result = await prober.probe(`http://site.test:${silent.port}/`, {});
    const elapsed = Date.now() - started;
    expect(result.outcome).toBe('offline');
    expect(result.reason).toBe('timeout');
    expect(result.ip).toBe('127.0.0.1');
    expect(elapsed).toBeLessThan(4000 + 2000);
  });

  it('headers at 1 byte/s end as timeout within checkTimeoutMs', async () => {
    const started = Date.now();
    const result = await prober.probe(`http://site.test:${slowHeaders.port}/`, {});
    expect(result.reason).toBe('timeout');
    expect(result.outcome).toBe('offline');
    expect(Date.now() - started).toBeLessThan(4000 + 2000);
  });

  it('a body that stalls ends as timeout, keeping the status', async () => {
    const result = await prober.probe(site('/slow-body'), {});
    expect(result.reason).toBe('timeout');
    expect(result.httpStatus).toBe(200);
    expect(result.sha256).toBeNull();
  });

  it('a caller abort ends the check at once as error/worker_shutdown', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = prober.probe(`http://site.test:${silent.port}/`, {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const result = await pending;
    expect(result).toMatchObject({ outcome: 'error', reason: 'worker_shutdown' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an already aborted signal sends nothing', async () => {
    const before = web.connections + web.requests;
    const result = await prober.probe(site('/ok'), {}, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ outcome: 'error', reason: 'worker_shutdown' });
    expect(web.connections + web.requests).toBe(before);
  });

  it('sends the configured User-Agent and asks for compressed bodies', async () => {
    let seen: IncomingMessage['headers'] = {};
    const echo = await startHttp((req, res) => {
      seen = req.headers;
      res.end('x');
    });
    try {
      await prober.probe(`http://site.test:${echo.port}/`, {});
      expect(seen['user-agent']).toBe('TakedownMonitor-test/0.1');
      expect(seen['accept-encoding']).toBe('gzip, deflate, br');
    } finally {
      await echo.close();
    }
  });
});

describe('connection reuse', () => {
  it('keepAlive (default) reuses one connection across checks and redirect hops', async () => {
    const server = await startHttp(route);
    const pooled = createHttpProber(loopbackOptions(guardDns));
    try {
      for (let i = 0; i < 5; i++) {
        expect((await pooled.probe(`http://site.test:${server.port}/chain/1`, {})).outcome).toBe('online');
      }
      expect(server.requests).toBe(20);
      expect(server.connections).toBe(1);
    } finally {
      await pooled.close();
      await server.close();
    }
  });

  it('keepAlive: false opens a new TCP connection for every request', async () => {
    const server = await startHttp(route);
    const fresh = createHttpProber(loopbackOptions(guardDns, { keepAlive: false }));
    try {
      for (let i = 0; i < 5; i++) {
        expect((await fresh.probe(`http://site.test:${server.port}/ok`, {})).outcome).toBe('online');
      }
      expect(server.connections).toBe(5);
    } finally {
      await fresh.close();
      await server.close();
    }
  });

  it('close() ends running checks as worker_shutdown', async () => {
    const closing = createHttpProber(loopbackOptions(guardDns));
    const pending = closing.probe(`http://site.test:${silent.port}/`, {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    await closing.close();
    expect(await pending).toMatchObject({ outcome: 'error', reason: 'worker_shutdown' });
    expect(await closing.probe(site('/ok'), {})).toMatchObject({
      outcome: 'error',
      reason: 'worker_shutdown',
    });
  });
});
