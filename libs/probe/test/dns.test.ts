import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { startDnsmasq, type Dnsmasq } from '@tdm/test-helpers';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startHttp, type TestServer } from './servers.js';

let dns: Dnsmasq;
let web: TestServer;
let second: TestServer;
let prober: HttpProber;

beforeAll(async () => {
  dns = await startDnsmasq({
    hosts: {
      'www.site.test': ['127.0.0.1'],
      'vanishing.test': ['127.0.0.1'],
      'two.test': ['127.0.0.1', '127.0.0.2'],
    },
    extraArgs: [
      // A name that exists but has no address records (NODATA).
      '--txt-record=nodata.test,"no address here"',
    ],
  });
  web = await startHttp((_req, res) => res.end('served by name'));
  second = await startHttp((_req, res) => res.end('second'), '127.0.0.2');
  prober = createHttpProber(loopbackOptions([dns.server], { hostMap: {} }));
});

afterAll(async () => {
  await prober.close();
  await web.close();
  await second.close();
  await dns.stop();
});

describe('DNS through a real dnsmasq on loopback', () => {
  it('a name in the hosts file resolves and the check is online', async () => {
    const result = await prober.probe(`http://www.site.test:${web.port}/`, {});
    expect(result).toMatchObject({ outcome: 'online', httpStatus: 200, ip: '127.0.0.1' });
  });

  it('an unknown name is offline/dns_nxdomain', async () => {
    const before = web.connections;
    const result = await prober.probe(`http://missing.test:${web.port}/`, {});
    expect(result).toMatchObject({ outcome: 'offline', reason: 'dns_nxdomain', ip: null, httpStatus: null });
    expect(web.connections).toBe(before);
  });

  it('a name with no address records (NODATA) is dns_nxdomain too', async () => {
    const result = await prober.probe(`http://nodata.test:${web.port}/`, {});
    expect(result).toMatchObject({ outcome: 'offline', reason: 'dns_nxdomain' });
  });

  it('a server that refuses the query (REFUSED) is dns_temporary', async () => {
    // dnsmasq has no upstream, so it answers REFUSED for any name outside its local zone.
    const result = await prober.probe(`http://www.unserved.invalid:${web.port}/`, {});
    expect(result).toMatchObject({ outcome: 'offline', reason: 'dns_temporary' });
  });

  it('a name removed from the hosts file (SIGHUP) vanishes mid-run, even with a pooled connection', async () => {
    const url = `http://vanishing.test:${web.port}/`;
    expect((await prober.probe(url, {})).outcome).toBe('online');
    await dns.setHosts({ 'www.site.test': ['127.0.0.1'], 'two.test': ['127.0.0.1', '127.0.0.2'] });
    // dnsmasq answers with TTL 0 (its default --local-ttl), so nothing is cached: the very
    // next check sees the name gone.
    const after = await prober.probe(url, {});
    expect(after).toMatchObject({ outcome: 'offline', reason: 'dns_nxdomain' });
    expect((await prober.probe(`http://www.site.test:${web.port}/`, {})).outcome).toBe('online');
  });

  it('a name resolving to a loopback address is blocked under the default policy, nothing sent', async () => {
    const strict = createHttpProber(loopbackOptions([dns.server], { hostMap: {}, allowRanges: [] }));
    const before = web.connections;
    try {
      const result = await strict.probe(`http://www.site.test:${web.port}/`, {});
      expect(result).toMatchObject({ outcome: 'error', reason: 'blocked' });
    } finally {
      await strict.close();
    }
    expect(web.connections).toBe(before);
  });

  it('if any address of a name is refused, the name is refused', async () => {
    const narrow = createHttpProber(
      loopbackOptions([dns.server], { hostMap: {}, allowRanges: ['127.0.0.1/32'] }),
    );
    const before = web.connections;
    try {
      const result = await narrow.probe(`http://two.test:${web.port}/`, {});
      expect(result).toMatchObject({ outcome: 'error', reason: 'blocked' });
    } finally {
      await narrow.close();
    }
    expect(web.connections).toBe(before);
    expect(second.connections).toBe(0);
  });

  it('a DNS server port where nothing listens is error/resolver_unavailable', async () => {
    const deaf = createHttpProber(loopbackOptions([`127.0.0.1:${await closedPort()}`], { hostMap: {} }));
    try {
      const result = await deaf.probe(`http://www.site.test:${web.port}/`, {});
      expect(result).toMatchObject({ outcome: 'error', reason: 'resolver_unavailable' });
    } finally {
      await deaf.close();
    }
  });

  it('the static host map wins over DNS', async () => {
    const mapped = createHttpProber(
      loopbackOptions([dns.server], { hostMap: { 'missing.test': '127.0.0.1' } }),
    );
    try {
      expect((await mapped.probe(`http://missing.test:${web.port}/`, {})).outcome).toBe('online');
    } finally {
      await mapped.close();
    }
  });

  it('a DNS server that never answers: the check still settles at checkTimeoutMs, as resolver_unavailable', async () => {
    const deafServer = createSocket('udp4');
    deafServer.on('message', () => undefined); // swallows every query
    await new Promise<void>((resolve) => deafServer.bind(0, '127.0.0.1', resolve));
    const { port } = deafServer.address();
    // The resolver's own timeout (connectTimeoutMs/4 per try, 2 tries) is far beyond the check's.
    const slow = createHttpProber(
      loopbackOptions([`127.0.0.1:${port}`], { hostMap: {}, connectTimeoutMs: 20_000, checkTimeoutMs: 1000 }),
    );
    const started = Date.now();
    try {
      const result = await slow.probe(`http://www.site.test:${web.port}/`, {});
      expect(result).toMatchObject({ outcome: 'error', reason: 'resolver_unavailable' });
      expect(Date.now() - started).toBeLessThan(1000 + 1000);
    } finally {
      await slow.close();
      deafServer.close();
    }
  });
});
