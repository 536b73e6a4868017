/**
 * A `Location` header with raw UTF-8 bytes is read as browsers read it (UTF-8 first, latin1
 * only when the bytes are not UTF-8), so a hoster redirecting to a non-ASCII file or host
 * name is followed to the page it meant, not recorded as a removal.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startTcp, type TestServer } from './servers.js';

let server: TestServer;
let prober: HttpProber;
const seen: { host: string; path: string }[] = [];

/** Answers each request on raw sockets, so that header bytes are sent exactly as given. */
function answer(socket: Socket): void {
  let head = '';
  socket.on('data', (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    const [requestLine = '', ...headers] = head.split('\r\n');
    head = '';
    const path = requestLine.split(' ')[1] ?? '';
    const host = (headers.find((h) => h.toLowerCase().startsWith('host:')) ?? '').slice(5).trim();
    seen.push({ host, path });
    const port = server.port;
    const send = (status: string, extra: Buffer[], body: string): void => {
      socket.write(
        Buffer.concat([
          Buffer.from(`HTTP/1.1 ${status}\r\n`, 'latin1'),
          ...extra,
          Buffer.from(`content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`),
        ]),
      );
      socket.end();
    };
    const location = (target: string, encoding: BufferEncoding): Buffer[] => [
      Buffer.from('location: ', 'latin1'),
      Buffer.from(target, encoding),
      Buffer.from('\r\n', 'latin1'),
    ];
    if (path === '/utf8-path') send('302 Found', location('/fïnal-path', 'utf8'), '');
    else if (path === '/utf8-host')
      send('302 Found', location(`http://bücher.test:${port}/buch`, 'utf8'), '');
    else if (path === '/latin1-path') send('302 Found', location('/caf\u00e9', 'latin1'), '');
    else if (['/f%C3%AFnal-path', '/buch', '/caf%C3%A9'].includes(path)) send('200 OK', [], 'the page');
    else send('404 Not Found', [], 'gone');
  });
}

beforeAll(async () => {
  server = await startTcp(answer);
  prober = createHttpProber(
    loopbackOptions([`127.0.0.1:${await closedPort()}`], {
      hostMap: { 'site.test': '127.0.0.1', 'xn--bcher-kva.test': '127.0.0.1' },
      keepAlive: false,
    }),
  );
});

afterAll(async () => {
  await prober.close();
  await server.close();
});

describe('Location headers with raw non-ASCII bytes', () => {
  it('a UTF-8 path is followed as the browser would request it', async () => {
    const result = await prober.probe(`http://site.test:${server.port}/utf8-path`, {});
    expect(seen.at(-1)?.path).toBe('/f%C3%AFnal-path');
    expect(result).toMatchObject({ outcome: 'online', httpStatus: 200 });
    expect(result.finalUrl).toBe(`http://site.test:${server.port}/f%C3%AFnal-path`);
  });

  it('a UTF-8 host name becomes its IDNA form', async () => {
    const result = await prober.probe(`http://site.test:${server.port}/utf8-host`, {});
    expect(result).toMatchObject({ outcome: 'online', httpStatus: 200 });
    expect(result.finalUrl).toBe(`http://xn--bcher-kva.test:${server.port}/buch`);
    expect(seen.at(-1)).toEqual({ host: `xn--bcher-kva.test:${server.port}`, path: '/buch' });
  });

  it('bytes that are not UTF-8 are still read as latin1', async () => {
    const result = await prober.probe(`http://site.test:${server.port}/latin1-path`, {});
    expect(seen.at(-1)?.path).toBe('/caf%C3%A9');
    expect(result).toMatchObject({ outcome: 'online', httpStatus: 200 });
  });
});
