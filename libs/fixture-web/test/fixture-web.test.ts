import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { makeBody, startFixtureWeb } from '@tdm/fixture-web';
import type { FixtureWeb } from '@tdm/fixture-web';
import { waitFor } from '@tdm/test-helpers';
import { get } from './client.js';

/** The server's own request counters, polled closely (they move within milliseconds). */
const WAIT = { timeoutMs: 10_000, intervalMs: 10 };

const opened: FixtureWeb[] = [];
async function start(...args: Parameters<typeof startFixtureWeb>): Promise<FixtureWeb> {
  const web = await startFixtureWeb(...args);
  opened.push(web);
  return web;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((w) => w.close()));
});

/** Resolves with the connect error code, or 'connected'. */
async function tcpProbe(address: string, port: number): Promise<string> {
  return await new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('virtual hosts and paths', () => {
  it('routes by Host header (case and port ignored); unknown host or path is 404', async () => {
    const web = await start();
    web.set('a.test', '/one', { kind: 'body', body: Buffer.from('A1') });
    web.set('B.Test', 'two', { kind: 'body', body: Buffer.from('B2') });
    expect((await get(web.port, `A.TEST:${web.port}`, '/one')).body.toString()).toBe('A1');
    expect((await get(web.port, 'b.test', '/two')).body.toString()).toBe('B2');
    expect((await get(web.port, 'b.test', '/one')).status).toBe(404);
    expect((await get(web.port, 'unknown.test', '/one')).status).toBe(404);
    expect((await get(web.port, 'a.test', '/other')).status).toBe(404);
  });

  it('matches the full target first, then the path without its query', async () => {
    const web = await start();
    web.set('a.test', '/q', { kind: 'body', body: Buffer.from('any') });
    web.set('a.test', '/q?id=7', { kind: 'status', status: 410 });
    expect((await get(web.port, 'a.test', '/q?id=1')).body.toString()).toBe('any');
    expect((await get(web.port, 'a.test', '/q?id=7')).status).toBe(410);
    expect(web.requests('a.test', '/q')).toBe(2);
    expect(web.requests('a.test', '/q?id=7')).toBe(1);
  });

  it('changes behaviour on command, and remove() gives 404 afterwards', async () => {
    const web = await start();
    const body = makeBody('x', 500);
    web.set('a.test', '/item', { kind: 'body', body });
    expect((await get(web.port, 'a.test', '/item')).status).toBe(200);
    web.set('a.test', '/item', { kind: 'status', status: 451 });
    expect((await get(web.port, 'a.test', '/item')).status).toBe(451);
    web.remove('a.test', '/item');
    expect((await get(web.port, 'a.test', '/item')).status).toBe(404);
    expect(web.log.map((e) => e.status)).toEqual([200, 451, 404]);
    expect(web.log.map((e) => e.kind)).toEqual(['body', 'status', null]);
  });

  it('url() builds http://host:port/path', async () => {
    const web = await start();
    expect(web.url('a.test', '/x?y=1')).toBe(`http://a.test:${web.port}/x?y=1`);
    expect(web.url('a.test', 'x')).toBe(`http://a.test:${web.port}/x`);
    expect(web.url('::1', '/')).toBe(`http://[::1]:${web.port}/`);
  });
});

describe('several addresses, one port', () => {
  it('listens on every address on the same port, and a host that is down refuses connections', async () => {
    const web = await start({ addresses: ['127.0.0.1', '127.0.0.2'] });
    web.set('a.test', '/', { kind: 'body', body: Buffer.from('up') });
    expect((await get(web.port, 'a.test', '/', { address: '127.0.0.2' })).body.toString()).toBe('up');

    await web.setHostDown('127.0.0.2', true);
    const refused = await get(web.port, 'a.test', '/', { address: '127.0.0.2' });
    expect(refused.error).toBe('ECONNREFUSED');
    expect(await tcpProbe('127.0.0.2', web.port)).toBe('ECONNREFUSED');
    // The other address stays up.
    expect((await get(web.port, 'a.test', '/', { address: '127.0.0.1' })).status).toBe(200);

    await web.setHostDown('127.0.0.2', false);
    expect((await get(web.port, 'a.test', '/', { address: '127.0.0.2' })).status).toBe(200);
    // Refused connections were never accepted, so they are not counted.
    expect(web.connections('127.0.0.2')).toBe(2);
    expect(web.connections('127.0.0.1')).toBe(1);
    expect(web.connections()).toBe(3);
    await expect(web.setHostDown('127.0.0.9', true)).rejects.toThrow(RangeError);
  });

  it('taking a host down also ends its open connections', async () => {
    const web = await start({ addresses: ['127.0.0.1', '127.0.0.3'] });
    web.set('a.test', '/stall', { kind: 'stall' });
    const pending = get(web.port, 'a.test', '/stall', { address: '127.0.0.3', timeoutMs: 30_000 });
    await waitFor(() => web.requests('a.test', '/stall') === 1, WAIT);
    await web.setHostDown('127.0.0.3', true);
    const seen = await pending;
    expect(seen.status).toBeNull();
    expect(seen.error).toBe('ECONNRESET');
  });

  it('uses a fixed port when given one', async () => {
    const first = await start();
    const port = first.port;
    await first.close();
    const web = await start({ port });
    expect(web.port).toBe(port);
  });
});

describe('counts', () => {
  it('counts requests per host and path and TCP connections exactly (keep-alive reuses one)', async () => {
    const web = await start();
    web.set('a.test', '/x', { kind: 'body', body: Buffer.from('x') });
    web.set('b.test', '/y', { kind: 'body', body: Buffer.from('y') });
    expect(web.requests()).toBe(0);
    expect(web.connections()).toBe(0);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) expect((await get(web.port, 'a.test', '/x', { agent })).status).toBe(200);
    } finally {
      agent.destroy();
    }
    for (let i = 0; i < 2; i++) await get(web.port, 'b.test', '/y');
    await get(web.port, 'b.test', '/nothing');

    expect(web.requests('a.test', '/x')).toBe(3);
    expect(web.requests('a.test')).toBe(3);
    expect(web.requests('b.test', '/y')).toBe(2);
    expect(web.requests('b.test')).toBe(3);
    expect(web.requests('c.test')).toBe(0);
    expect(web.requests(undefined, '/y')).toBe(2);
    expect(web.requests()).toBe(6);
    expect(web.connections()).toBe(1 + 3);

    web.resetCounters();
    expect(web.requests()).toBe(0);
    expect(web.connections()).toBe(0);
    expect(web.log).toEqual([]);
  });

  it('keeps only the newest log entries, oldest first', async () => {
    const web = await start({ logLimit: 3 });
    for (let i = 0; i < 5; i++) await get(web.port, 'a.test', `/p${i}`);
    expect(web.log.map((e) => e.path)).toEqual(['/p2', '/p3', '/p4']);
    const entry = web.log[0];
    expect(entry).toMatchObject({ address: '127.0.0.1', host: 'a.test', status: 404, kind: null });
    expect(typeof entry?.at).toBe('number');
  });
});

describe('close', () => {
  it('finishes promptly with a stalled request open, and refuses afterwards', async () => {
    const web = await start();
    web.set('a.test', '/stall', { kind: 'stall' });
    web.set('a.test', '/slow', { kind: 'slow-headers', bytesPerSecond: 1 });
    const stalled = get(web.port, 'a.test', '/stall', { timeoutMs: 30_000 });
    const slow = get(web.port, 'a.test', '/slow', { timeoutMs: 30_000 });
    await waitFor(() => web.requests() === 2, WAIT);
    const started = performance.now();
    await web.close();
    await web.close(); // idempotent
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await stalled).error).toBe('ECONNRESET');
    expect((await slow).status).toBeNull();
    expect(await tcpProbe('127.0.0.1', web.port)).toBe('ECONNREFUSED');
  });
});
