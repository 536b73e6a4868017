import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGunzip } from 'node:zlib';
import { request } from 'node:http';
import { makeBody, sha256Hex, startFixtureWeb, SLOW_HEAD_BYTES } from '@tdm/fixture-web';
import type { FixtureWeb } from '@tdm/fixture-web';
import { get } from './client.js';

let web: FixtureWeb;
beforeEach(async () => {
  web = await startFixtureWeb();
});
afterEach(async () => {
  await web.close();
});

describe('behaviours', () => {
  it('body: 200 with exactly the body, its content type, and no body for HEAD', async () => {
    const body = makeBody('page', 20_000);
    web.set('a.test', '/page', { kind: 'body', body, contentType: 'text/html' });
    const seen = await get(web.port, 'a.test', '/page');
    expect(seen.error).toBeNull();
    expect(seen.status).toBe(200);
    expect(seen.headers['content-type']).toBe('text/html');
    expect(seen.headers['content-length']).toBe('20000');
    expect(sha256Hex(seen.body)).toBe(sha256Hex(body));

    const head = await get(web.port, 'a.test', '/page', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('status: the given code and body, for each removal status', async () => {
    for (const status of [404, 410, 451, 403, 503]) {
      web.set('a.test', `/s${status}`, { kind: 'status', status, body: Buffer.from(`gone ${status}`) });
      const seen = await get(web.port, 'a.test', `/s${status}`);
      expect(seen.status).toBe(status);
      expect(seen.body.toString()).toBe(`gone ${status}`);
    }
    web.set('a.test', '/empty', { kind: 'status', status: 410 });
    const empty = await get(web.port, 'a.test', '/empty');
    expect(empty.status).toBe(410);
    expect(empty.body.length).toBe(0);
    expect(() => web.set('a.test', '/bad', { kind: 'status', status: 42 })).toThrow(RangeError);
  });

  it('redirect: 302 by default, the given status otherwise, with Location', async () => {
    web.set('a.test', '/r', { kind: 'redirect', location: 'http://b.test/x' });
    web.set('a.test', '/p', { kind: 'redirect', status: 308, location: '/elsewhere' });
    const r = await get(web.port, 'a.test', '/r');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('http://b.test/x');
    const p = await get(web.port, 'a.test', '/p');
    expect(p.status).toBe(308);
    expect(p.headers.location).toBe('/elsewhere');
  });

  it('stall: the request arrives but no answer comes', async () => {
    web.set('a.test', '/stall', { kind: 'stall' });
    const seen = await get(web.port, 'a.test', '/stall', { timeoutMs: 500 });
    expect(seen.error).toBe('TIMEOUT');
    expect(seen.status).toBeNull();
    expect(web.requests('a.test', '/stall')).toBe(1);
    expect(web.log.at(-1)).toMatchObject({ host: 'a.test', path: '/stall', kind: 'stall', status: null });
  });

  it('slow-headers: a padded head arrives at the given rate, then a complete response', async () => {
    // 4,096 B/s over a 1,024-byte head: about 250 ms; the pacing is the server's, so a lower bound is safe.
    web.set('a.test', '/slow', { kind: 'slow-headers', bytesPerSecond: 4096 });
    const started = performance.now();
    const seen = await get(web.port, 'a.test', '/slow');
    const elapsed = performance.now() - started;
    expect(seen.error).toBeNull();
    expect(seen.status).toBe(200);
    expect(seen.body.toString()).toBe('ok');
    expect(elapsed).toBeGreaterThanOrEqual(150);
    const padLength = String(seen.headers['x-pad']).length;
    expect(padLength).toBeGreaterThan(SLOW_HEAD_BYTES / 2);
  });

  it('slow-headers at a low rate is still in its head when the client gives up', async () => {
    web.set('a.test', '/slower', { kind: 'slow-headers', bytesPerSecond: 10 });
    const seen = await get(web.port, 'a.test', '/slower', { timeoutMs: 700 });
    expect(seen.error).toBe('TIMEOUT');
    expect(seen.status).toBeNull();
  });

  it('reset: the connection is reset before any response', async () => {
    web.set('a.test', '/reset', { kind: 'reset' });
    const seen = await get(web.port, 'a.test', '/reset');
    expect(seen.status).toBeNull();
    expect(seen.error).toBe('ECONNRESET');
    expect(web.log.at(-1)).toMatchObject({ kind: 'reset', status: null });
  });

  it('reset-mid-body: head and part of the body, then a reset', async () => {
    const body = makeBody('mid', 200_000);
    web.set('a.test', '/mid', { kind: 'reset-mid-body', body });
    const seen = await get(web.port, 'a.test', '/mid');
    expect(seen.status).toBe(200);
    expect(seen.headers['content-length']).toBe('200000');
    expect(seen.error).not.toBeNull();
    expect(seen.body.length).toBeGreaterThan(0);
    expect(seen.body.length).toBeLessThan(body.length);
    expect(seen.body.equals(body.subarray(0, seen.body.length))).toBe(true);
  });

  it('flap: a seeded mix of 503 and 200, the same sequence again after re-setting it', async () => {
    const body = makeBody('flap', 100);
    const run = async (): Promise<Array<number | null>> => {
      web.set('f.test', '/x', { kind: 'flap', pFail: 0.5, pStall: 0, body, seed: 42 });
      const statuses: Array<number | null> = [];
      for (let i = 0; i < 20; i++) statuses.push((await get(web.port, 'f.test', '/x')).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(503);
    expect(first.every((s) => s === 200 || s === 503)).toBe(true);

    web.set('f.test', '/y', { kind: 'flap', pFail: 0.5, pStall: 0, body, seed: 43 });
    const other: Array<number | null> = [];
    for (let i = 0; i < 20; i++) other.push((await get(web.port, 'f.test', '/y')).status);
    expect(other).not.toEqual(first);
  });

  it('flap with stalls: stalls are reproducible too', async () => {
    const body = makeBody('flap', 10);
    const run = async (): Promise<string[]> => {
      web.set('f.test', '/s', { kind: 'flap', pFail: 0, pStall: 0.5, body, seed: 7 });
      const seen = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          // Sequential arrival keeps the draw order fixed: each request starts after the previous one reached the server.
          new Promise<string>((resolve) => setTimeout(resolve, i * 100, '')).then(async () =>
            String((await get(web.port, 'f.test', '/s', { timeoutMs: 1_000 })).status ?? 'stalled'),
          ),
        ),
      );
      return seen;
    };
    const first = await run();
    expect(first).toContain('200');
    expect(first).toContain('stalled');
    expect(await run()).toEqual(first);
    expect(() => web.set('f.test', '/bad', { kind: 'flap', pFail: 0.7, pStall: 0.7, body })).toThrow(
      RangeError,
    );
  });

  it('gzip-bomb: a small gzip body that inflates to the given size', async () => {
    const expandedBytes = 16 * 1024 * 1024;
    web.set('a.test', '/bomb', { kind: 'gzip-bomb', expandedBytes });
    const inflated = await new Promise<{
      compressed: number;
      expanded: number;
      encoding: string | undefined;
    }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: web.port, path: '/bomb', headers: { host: 'a.test' }, agent: false },
        (res) => {
          let compressed = 0;
          let expanded = 0;
          res.on('data', (c: Buffer) => (compressed += c.length));
          const gunzip = createGunzip();
          gunzip.on('data', (c: Buffer) => (expanded += c.length));
          gunzip.on('end', () =>
            resolve({ compressed, expanded, encoding: res.headers['content-encoding'] }),
          );
          gunzip.on('error', reject);
          res.pipe(gunzip);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(inflated.encoding).toBe('gzip');
    expect(inflated.expanded).toBe(expandedBytes);
    expect(inflated.compressed).toBeLessThan(expandedBytes / 100);
  });

  it('endless: the body goes on past any reasonable limit', async () => {
    web.set('a.test', '/endless', { kind: 'endless' });
    const seen = await get(web.port, 'a.test', '/endless', { maxBytes: 8 * 1024 * 1024 });
    expect(seen.status).toBe(200);
    expect(seen.error).toBe('MAX_BYTES');
    expect(seen.body.length).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  });
});

describe('endless safety cap', () => {
  it('stops by itself at endlessMaxBytes', async () => {
    const capped = await startFixtureWeb({ endlessMaxBytes: 1024 * 1024 });
    try {
      capped.set('a.test', '/endless', { kind: 'endless' });
      const seen = await get(capped.port, 'a.test', '/endless');
      expect(seen.status).toBe(200);
      expect(seen.error).not.toBeNull();
      expect(seen.body.length).toBeGreaterThanOrEqual(1024 * 1024);
      expect(seen.body.length).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await capped.close();
    }
  });
});
