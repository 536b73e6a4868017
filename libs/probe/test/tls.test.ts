import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startHttps, type TestServer } from './servers.js';

let dir: string;
let cert: string;
let server: TestServer;
let guardDns: string[];

beforeAll(async () => {
  // A self-signed certificate for tls.test and 127.0.0.1, made by the openssl CLI.
  dir = mkdtempSync(path.join(tmpdir(), 'tdm-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=tls.test',
      '-addext',
      'subjectAltName=DNS:tls.test,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  server = await startHttps(readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert, (_req, res) =>
    res.end('secret'),
  );
  guardDns = [`127.0.0.1:${await closedPort()}`];
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const hostMap = { 'tls.test': '127.0.0.1', 'wrong-name.test': '127.0.0.1' };

describe('https', () => {
  it('a certificate we trust is online, with the peer address', async () => {
    const prober = createHttpProber(loopbackOptions(guardDns, { hostMap, ca: cert }));
    try {
      const result = await prober.probe(`https://tls.test:${server.port}/`, {});
      expect(result).toMatchObject({ outcome: 'online', httpStatus: 200, ip: '127.0.0.1', bytes: 6 });
    } finally {
      await prober.close();
    }
  });

  it('a self-signed certificate we do not trust is tls_error (certificates are verified)', async () => {
    const prober = createHttpProber(loopbackOptions(guardDns, { hostMap }));
    try {
      const result = await prober.probe(`https://tls.test:${server.port}/`, {});
      expect(result).toMatchObject({ outcome: 'offline', reason: 'tls_error', httpStatus: null });
      expect(result.error).toMatch(/SELF_SIGNED|self-signed/i);
    } finally {
      await prober.close();
    }
  });

  it('a certificate for another name is tls_error', async () => {
    const prober = createHttpProber(loopbackOptions(guardDns, { hostMap, ca: cert }));
    try {
      const result = await prober.probe(`https://wrong-name.test:${server.port}/`, {});
      expect(result).toMatchObject({ outcome: 'offline', reason: 'tls_error' });
    } finally {
      await prober.close();
    }
  });
});
