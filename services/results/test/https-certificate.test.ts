/**
 * The API over HTTPS with a certificate of a CA made in the test (Debian's openssl), the
 * client pinning that CA; HSTS on every answer; and a renewed certificate served
 * without a restart.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect, type PeerCertificate, type Server as TlsServer } from 'node:tls';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestCa, pollUntil, type TestCa } from '@tdm/test-helpers';
import {
  HSTS_HEADER,
  buildApp,
  loadCertificate,
  watchCertificate,
  type CertificateWatch,
} from '@tdm/results';
import { BACKENDS, openHarness, type Harness } from './support.js';

interface Answer {
  status: number;
  hsts: string | undefined;
  body: string;
}

function get(port: number, urlPath: string, ca: Buffer | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: urlPath, ...(ca ? { ca } : {}), timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            hsts: res.headers['strict-transport-security'] as string | undefined,
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The common name of the certificate the server presents now. */
function servedName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const peer: PeerCertificate = socket.getPeerCertificate();
      socket.end();
      resolve(String(peer.subject.CN));
    });
    socket.on('error', reject);
  });
}

describe('the API over HTTPS', () => {
  let ca: TestCa;
  let caPem: Buffer;
  let h: Harness;
  let app: FastifyInstance;
  let port = 0;
  let watch: CertificateWatch | undefined;
  let live: { certFile: string; keyFile: string };
  const reloads: number[] = [];

  beforeAll(async () => {
    ca = await createTestCa();
    caPem = await readFile(ca.caFile);
    const first = await ca.issueServer('api-1');
    // The files the service reads: a renewal overwrites them in place.
    live = { certFile: path.join(ca.dir, 'live.crt'), keyFile: path.join(ca.dir, 'live.key') };
    await copyFile(first.certFile, live.certFile);
    await copyFile(first.keyFile, live.keyFile);
    h = await openHarness(BACKENDS[0]!);
    app = await buildApp({
      store: h.store,
      metrics: h.metrics,
      logger: h.logger,
      https: loadCertificate(live),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    const server = app.server as unknown as TlsServer;
    watch = watchCertificate(live, (pair) => server.setSecureContext(pair), {
      intervalMs: 100,
      onReload: () => reloads.push(Date.now()),
    });
  });

  afterAll(async () => {
    watch?.stop();
    await app?.close();
    await h?.close();
    await ca?.remove();
  });

  it('answers over TLS to a client pinning the CA, with HSTS', async () => {
    const answer = await get(port, '/healthz', caPem);
    expect(answer.status).toBe(200);
    expect(answer.hsts).toBe(HSTS_HEADER);
    expect(await servedName(port, caPem)).toBe('api-1');
  });

  it('is refused by a client that does not trust the CA, and does not speak plain HTTP', async () => {
    await expect(get(port, '/healthz', undefined)).rejects.toThrow(/certificate/i);
    const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect(plain === 'refused' || plain === 400).toBe(true);
  });

  it('serves a renewed certificate without a restart', async () => {
    const renewed = await ca.issueServer('api-2');
    await copyFile(renewed.keyFile, live.keyFile);
    await copyFile(renewed.certFile, live.certFile);
    const name = await pollUntil(
      () => servedName(port, caPem),
      (served) => served === 'api-2',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(name).toBe('api-2');
    expect(reloads.length).toBeGreaterThanOrEqual(1);
    expect((await get(port, '/healthz', caPem)).status).toBe(200);
  });

  it('refuses to start with a key that does not match the certificate, naming the setting', async () => {
    const other = await ca.issueServer('other');
    expect(() => loadCertificate({ certFile: live.certFile, keyFile: other.keyFile })).toThrow(
      /TDM_TLS_CERT\/TDM_TLS_KEY .*not a usable certificate and key/,
    );
    expect(() => loadCertificate({ certFile: '/nonexistent.crt', keyFile: other.keyFile })).toThrow(
      /TDM_TLS_CERT \/nonexistent\.crt: cannot read it \(ENOENT\)/,
    );
  });
});
