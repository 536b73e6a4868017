import { connect } from 'node:net';
import { createBrotliDecompress } from 'node:zlib';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFixtureWeb, startSilentServer } from '@tdm/fixture-web';
import type { FixtureWeb } from '@tdm/fixture-web';
import { get } from './client.js';

let web: FixtureWeb;
beforeEach(async () => {
  web = await startFixtureWeb();
});
afterEach(async () => {
  await web.close();
});

/** Reads a raw response until the connection ends or `maxBytes` arrived. */
async function rawGet(port: number, host: string, path: string, maxBytes: number): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let received = 0;
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    );
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), 10_000);
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      received += chunk.length;
      if (received >= maxBytes) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    });
    socket.on('error', reject);
  });
}

describe('hostile behaviours', () => {
  it('sized: exactly the given number of bytes, the declared content type and length', async () => {
    web.set('a.test', '/big', { kind: 'sized', bytes: 3 * 65536 + 17, contentType: 'image/jpeg' });
    const seen = await get(web.port, 'a.test', '/big');
    expect(seen.error).toBeNull();
    expect(seen.headers['content-type']).toBe('image/jpeg');
    expect(seen.headers['content-length']).toBe(String(3 * 65536 + 17));
    expect(seen.body.length).toBe(3 * 65536 + 17);
    expect(seen.body.subarray(0, 11).toString()).toBe('sized-body;');
    expect(() => web.set('a.test', '/bad', { kind: 'sized', bytes: -1 })).toThrow(RangeError);
  });

  it('br-bomb: a tiny brotli body that decodes to the given size', async () => {
    const expandedBytes = 32 * 1024 * 1024;
    web.set('a.test', '/bomb', { kind: 'br-bomb', expandedBytes });
    const { encoding, compressed, decoded, allZero } = await new Promise<{
      encoding: string | undefined;
      compressed: number;
      decoded: number;
      allZero: boolean;
    }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: web.port, path: '/bomb', headers: { host: 'a.test' }, agent: false },
        (res) => {
          let compressedBytes = 0;
          let decodedBytes = 0;
          let zeros = true;
          const brotli = createBrotliDecompress();
          res.on('data', (c: Buffer) => (compressedBytes += c.length));
          brotli.on('data', (c: Buffer) => {
            decodedBytes += c.length;
            if (c.some((byte) => byte !== 0)) zeros = false;
          });
          brotli.on('end', () =>
            resolve({
              encoding: res.headers['content-encoding'],
              compressed: compressedBytes,
              decoded: decodedBytes,
              allZero: zeros,
            }),
          );
          brotli.on('error', reject);
          res.pipe(brotli);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(encoding).toBe('br');
    expect(compressed).toBeLessThan(64 * 1024);
    expect(decoded).toBe(expandedBytes);
    expect(allZero).toBe(true);
  });

  it('many-headers: a head with the given number of headers, then a 2-byte body', async () => {
    web.set('a.test', '/h', { kind: 'many-headers', count: 5000 });
    const raw = (await rawGet(web.port, 'a.test', '/h', 10 * 1024 * 1024)).toString('latin1');
    const headEnd = raw.indexOf('\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    const lines = raw.slice(0, headEnd).split('\r\n');
    expect(lines.filter((line) => line.startsWith('X-H'))).toHaveLength(5000);
    expect(raw.slice(headEnd + 4)).toBe('ok');
  });

  it('startSilentServer: accepts, reads, never answers; close() ends the connections', async () => {
    const silent = await startSilentServer();
    try {
      const seen = await get(silent.port, 'a.test', '/', { timeoutMs: 300 });
      expect(seen.error).toBe('TIMEOUT');
      expect(seen.status).toBeNull();
      expect(silent.connections()).toBe(1);
      expect(silent.bytesReceived()).toBeGreaterThan(0);
    } finally {
      await silent.close();
    }
  });
});
