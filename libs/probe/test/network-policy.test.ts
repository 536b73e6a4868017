import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@tdm/core';
import { createHttpProber, createNetworkPolicy, type HttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startHttp, type TestServer } from './servers.js';

describe('createNetworkPolicy (default: public unicast only)', () => {
  const policy = createNetworkPolicy([]);
  const blocked = [
    '0.0.0.0',
    '0.1.2.3',
    '10.1.2.3',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '169.254.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.5',
    '192.88.99.1',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.1',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::127.0.0.1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:0:7f00:1',
    '64:ff9b::7f00:1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::1',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::1',
    '100::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%lo',
    'fec0::1',
    'ff02::1',
    '2001::1',
    '2001:2::1',
    '2001:db8::1',
    '3fff::1',
    'not-an-ip',
    '',
    '1.2.3',
    '127.1',
  ];
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700::1111',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ];
  it.each(blocked)('refuses %s', (address) => expect(policy.allows(address)).toBe(false));
  it.each(allowed)('allows %s', (address) => expect(policy.allows(address)).toBe(true));

  it('allowRanges widen it, also for IPv6 forms of an allowed IPv4 address', () => {
    const wider = createNetworkPolicy(['10.0.0.0/8', 'fd00::/8', '127.0.0.1']);
    expect(wider.allows('10.9.8.7')).toBe(true);
    expect(wider.allows('::ffff:10.9.8.7')).toBe(true);
    expect(wider.allows('fd00::5')).toBe(true);
    expect(wider.allows('127.0.0.1')).toBe(true);
    expect(wider.allows('127.0.0.2')).toBe(false);
    expect(wider.allows('192.168.0.1')).toBe(false);
    expect(wider.allows('8.8.8.8')).toBe(true);
  });

  it.each(['10.0.0.0/33', 'foo', '1.2.3.4/x', '::1/129', '10.0.0.0/'])(
    'rejects the malformed range %s',
    (range) => {
      expect(() => createNetworkPolicy([range])).toThrow(ConfigError);
    },
  );
});

describe('the policy on real connections (loopback, default policy): nothing is sent', () => {
  let v4: TestServer;
  let v6: TestServer | null = null;
  let prober: HttpProber;

  beforeAll(async () => {
    v4 = await startHttp((_req, res) => res.end('must never be served'));
    try {
      v6 = await startHttp((_req, res) => res.end('must never be served'), '::1');
    } catch {
      v6 = null; // no ::1 on this machine
    }
    prober = createHttpProber(
      loopbackOptions([`127.0.0.1:${await closedPort()}`], {
        allowRanges: [],
        hostMap: { 'mapped.test': '127.0.0.1' },
      }),
    );
  });
  afterAll(async () => {
    await prober.close();
    await v4.close();
    await v6?.close();
  });

  const forms = (port: number): string[] => [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://0x7f.1:${port}/`,
    `http://127.1:${port}/`,
    `http://127.0.1:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://017700000001:${port}/`,
    `http://0X7F.0.0.1:${port}/`,
    `http://0x7f.0x0.0x0.0x1:${port}/`,
    `http://0177.0.0.01:${port}/`,
    `http://127.000.000.001:${port}/`,
    `http://127.0.0.1.:${port}/`,
    `http://%31%32%37.0.0.1:${port}/`,
    `http://１２７.０.０.１:${port}/`, // full-width digits (IDNA maps them)
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::ffff:7f00:1]:${port}/`,
    `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`,
    `http://[::ffff:0:127.0.0.1]:${port}/`,
    `http://[64:ff9b::127.0.0.1]:${port}/`,
    `http://[2002:7f00:1::]:${port}/`,
    `http://[::127.0.0.1]:${port}/`,
    `http://mapped.test:${port}/`,
    `https://127.0.0.1:${port}/`,
  ];

  it('every spelling of 127.0.0.1 is error/blocked and the server saw zero connections', async () => {
    for (const url of forms(v4.port)) {
      const result = await prober.probe(url, {});
      expect({ url, outcome: result.outcome, reason: result.reason }).toEqual({
        url,
        outcome: 'error',
        reason: 'blocked',
      });
      expect(result.httpStatus).toBeNull();
    }
    expect(v4.connections).toBe(0);
  });

  it('[::1] in every spelling is error/blocked and its server saw zero connections', async () => {
    // Without ::1 on this machine there is no server to count on, but the verdict must hold.
    const port = v6?.port ?? v4.port;
    for (const host of ['[::1]', '[0:0:0:0:0:0:0:1]', '[0000::0001]', '[::0:1]']) {
      const result = await prober.probe(`http://${host}:${port}/`, {});
      expect({ host, outcome: result.outcome, reason: result.reason }).toEqual({
        host,
        outcome: 'error',
        reason: 'blocked',
      });
    }
    expect(v6?.connections ?? 0).toBe(0);
    expect(v4.connections).toBe(0);
  });
});

describe('the policy on every redirect hop', () => {
  let first: TestServer;
  let second: TestServer;
  let prober: HttpProber;

  beforeAll(async () => {
    second = await startHttp((_req, res) => res.end('must never be served'), '127.0.0.2');
    first = await startHttp((req, res) => {
      const target =
        req.url === '/by-name' ? `http://other.test:${second.port}/` : `http://127.0.0.2:${second.port}/`;
      res.writeHead(302, { location: target });
      res.end();
    });
    prober = createHttpProber(
      loopbackOptions([`127.0.0.1:${await closedPort()}`], { allowRanges: ['127.0.0.1/32'] }),
    );
  });
  afterAll(async () => {
    await prober.close();
    await first.close();
    await second.close();
  });

  it('a redirect from an allowed address to a refused one is blocked before any packet', async () => {
    for (const path of ['/by-address', '/by-name']) {
      const result = await prober.probe(`http://site.test:${first.port}${path}`, {});
      expect(result).toMatchObject({ outcome: 'error', reason: 'blocked', ip: '127.0.0.2' });
      expect(result.redirects).toEqual([
        { url: `http://site.test:${first.port}${path}`, status: 302, ip: '127.0.0.1' },
      ]);
    }
    expect(first.requests).toBe(2);
    expect(second.connections).toBe(0);
  });
});

describe('option checks', () => {
  const guard = ['127.0.0.1:9'];
  it('a host map value that is not an address is a ConfigError', () => {
    expect(() => createHttpProber(loopbackOptions(guard, { hostMap: { 'a.test': 'b.test' } }))).toThrow(
      ConfigError,
    );
  });
  it('a bad placeholder pattern or hash is a ConfigError', () => {
    expect(() => createHttpProber(loopbackOptions(guard, { placeholderUrlPatterns: ['(unclosed'] }))).toThrow(
      ConfigError,
    );
    expect(() => createHttpProber(loopbackOptions(guard, { placeholderSha256: ['abc'] }))).toThrow(
      ConfigError,
    );
  });
  it('a bad DNS server is a ConfigError', () => {
    expect(() => createHttpProber(loopbackOptions(['not a server:x']))).toThrow(ConfigError);
  });
  it('a non-positive timeout is a ConfigError', () => {
    expect(() => createHttpProber(loopbackOptions(guard, { checkTimeoutMs: 0 }))).toThrow(ConfigError);
  });
});
