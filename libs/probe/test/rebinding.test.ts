/**
 * DNS answers that change under the prober (DNS rebinding), on loopback with a real
 * dnsmasq. The allow-list is one address, 127.0.0.1/32; the fixture web listens on
 * 127.0.0.1 AND 127.0.0.2 on the same port (so both are one origin, one undici pool), and
 * counts the TCP connections on each. 127.0.0.2 must never see one.
 *
 * The last two tests take the prober's layers apart (own package internals, on purpose):
 * the connector's lookup refuses an answer that changed after the prober's own look-up,
 * and the peer check stops even a lookup that lies before a request byte is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { startDnsmasq, type Dnsmasq } from '@tdm/test-helpers';
import { BlockedAddressError, createHttpProber, createNetworkPolicy, type HttpProber } from '@tdm/probe';
import { createPolicyConnector } from '../src/connector.js';
import { createCheckResolver, type LookupFunction } from '../src/resolver.js';
import { loopbackOptions } from './prober-options.js';

const ALLOWED = ['127.0.0.1/32'];
let dns: Dnsmasq;
let web: FixtureWeb;
let prober: HttpProber;

beforeAll(async () => {
  dns = await startDnsmasq({ hosts: { 'rebind.test': ['127.0.0.1'], 'toctou.test': ['127.0.0.1'] } });
  web = await startFixtureWeb({ addresses: ['127.0.0.1', '127.0.0.2'] });
  web.set('rebind.test', '/img.jpg', {
    kind: 'body',
    body: Buffer.from('the image'),
    contentType: 'image/jpeg',
  });
  web.set('redirector.test', '/to-dot-2', {
    kind: 'redirect',
    location: `http://127.0.0.2:${web.port}/img.jpg`,
  });
  web.set('redirector.test', '/to-name', {
    kind: 'redirect',
    location: `http://rebind.test:${web.port}/img.jpg`,
  });
  prober = createHttpProber(
    loopbackOptions([dns.server], { hostMap: { 'redirector.test': '127.0.0.1' }, allowRanges: ALLOWED }),
  );
});

afterAll(async () => {
  await prober?.close();
  await web?.close();
  await dns?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DNS rebinding, allow-list 127.0.0.1/32', () => {
  it('a name that moves from 127.0.0.1 to 127.0.0.2 is refused; .2 never sees a connection, not even through the pool', async () => {
    const url = `http://rebind.test:${web.port}/img.jpg`;
    const first = await prober.probe(url, {});
    expect(first).toMatchObject({ outcome: 'online', ip: '127.0.0.1' });
    expect(web.connections('127.0.0.1')).toBe(1); // kept alive in the pool for this origin

    await dns.setHosts({ 'rebind.test': ['127.0.0.2'], 'toctou.test': ['127.0.0.1'] });
    // Check every 100 ms for up to 3 s: while the answer cache lasts (dnsmasq's TTL) the name still
    // means .1 (and the pooled connection to .1 serves it); after that, refusal. Nothing
    // in between may reach .2.
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await prober.probe(url, {});
      seen.push(`${result.outcome}/${result.reason ?? ''}@${result.ip ?? ''}`);
      expect(['online/@127.0.0.1', 'error/blocked@127.0.0.2']).toContain(seen.at(-1));
      if (result.reason === 'blocked' && i >= 15) break;
      await sleep(100);
    }
    expect(seen.at(-1)).toBe('error/blocked@127.0.0.2');
    // The pool still holds the connection to .1; no check may use it for the moved name.
    expect((await prober.probe(url, {})).reason).toBe('blocked');
    expect(web.connections('127.0.0.2')).toBe(0);
    expect(web.requests('rebind.test')).toBe(seen.filter((s) => s.startsWith('online')).length + 1);
  });

  it('a redirect to another loopback address, as a literal or through the moved name, is refused before any packet', async () => {
    for (const path of ['/to-dot-2', '/to-name']) {
      const result = await prober.probe(`http://redirector.test:${web.port}${path}`, {});
      expect({ path, outcome: result.outcome, reason: result.reason }).toEqual({
        path,
        outcome: 'error',
        reason: 'blocked',
      });
      expect(result.redirects).toHaveLength(1);
    }
    expect(web.connections('127.0.0.2')).toBe(0);
  });

  it('an answer that changes between the look-up and the connect is refused by the connector lookup', async () => {
    const policy = createNetworkPolicy(ALLOWED);
    // No cache and no hand-off: the connector asks DNS again, as it does once the check's
    // own answer is older than the hand-off time.
    const resolver = createCheckResolver({
      dnsServers: [dns.server],
      hostMap: {},
      policy,
      queryTimeoutMs: 1000,
      cacheMaxMs: 0,
      connectHandoffMs: 0,
    });
    const connector = createPolicyConnector({ connectTimeoutMs: 2000, lookup: resolver.lookup, policy });

    // The prober's per-hop look-up: allowed.
    expect(await resolver.resolve('toctou.test')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    // The answer changes before the connect.
    await dns.setHosts({ 'rebind.test': ['127.0.0.2'], 'toctou.test': ['127.0.0.2'] });
    const before = web.connections('127.0.0.2');
    const error = await new Promise<unknown>((resolve) => {
      connector(
        { hostname: 'toctou.test', host: 'toctou.test', protocol: 'http:', port: String(web.port) } as never,
        (err, socket) => {
          (socket as Socket | null)?.destroy();
          resolve(err);
        },
      );
    });
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect((error as BlockedAddressError).address).toBe('127.0.0.2');
    expect(web.connections('127.0.0.2')).toBe(before);
  });

  it('even a lookup that lies is caught by the peer check: the socket is closed before any request byte', async () => {
    const policy = createNetworkPolicy(ALLOWED);
    const lying: LookupFunction = (_host, options, callback) => {
      if (options.all) callback(null, [{ address: '127.0.0.2', family: 4 }]);
      else callback(null, '127.0.0.2', 4);
    };
    const connector = createPolicyConnector({ connectTimeoutMs: 2000, lookup: lying, policy });
    const requestsBefore = web.requests();
    const error = await new Promise<unknown>((resolve) => {
      connector(
        { hostname: 'liar.test', host: 'liar.test', protocol: 'http:', port: String(web.port) } as never,
        (err, socket) => {
          (socket as Socket | null)?.destroy();
          resolve(err);
        },
      );
    });
    expect(error).toBeInstanceOf(BlockedAddressError);
    // The TCP handshake happened (that is what the peer check looks at), but no request was sent.
    await sleep(100);
    expect(web.requests()).toBe(requestsBefore);
  });
});
