/**
 * The browser prober's rules without a browser: Chromium's net::ERR_* names, and the page
 * verdict from observed documents, redirects and hashed bodies.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_REASONS, OFFLINE_REASONS } from '@tdm/core';
import { BlockedAddressError, classifyNetError, createPlaceholderRules, DnsLookupError } from '@tdm/probe';
import { decodeDataUrl, type HashedBody } from '../src/browser/page-observer.js';
import { judgePage, type PageObservation, type VerdictRules } from '../src/browser/verdict.js';

const rules = (expected: VerdictRules['expected'] = {}): VerdictRules => ({
  expected,
  maxRedirects: 2,
  placeholders: createPlaceholderRules([], ['a'.repeat(64)]),
});

const media = (sha256: string, url = 'http://h/x.png'): HashedBody => ({
  url,
  kind: 'media',
  bytes: 10,
  sha256,
  sha1: null,
  md5: null,
});
const page = (overrides: Partial<PageObservation> = {}): PageObservation => ({
  hops: [],
  document: { url: 'http://h/page', status: 200, contentType: 'text/html', ip: '203.0.113.9' },
  failure: null,
  bodies: [],
  unverified: 0,
  refusedByPolicy: 0,
  ...overrides,
});

describe('classifyNetError', () => {
  it.each([
    ['net::ERR_CONNECTION_REFUSED', 'offline', 'connection_refused'],
    ['ERR_CONNECTION_RESET', 'offline', 'connection_reset'],
    ['net::ERR_EMPTY_RESPONSE', 'offline', 'connection_reset'],
    ['net::ERR_TIMED_OUT', 'offline', 'timeout'],
    ['net::ERR_NAME_NOT_RESOLVED', 'offline', 'dns_nxdomain'],
    ['net::ERR_CERT_AUTHORITY_INVALID', 'offline', 'tls_error'],
    ['net::ERR_SSL_PROTOCOL_ERROR', 'offline', 'tls_error'],
    ['net::ERR_TOO_MANY_REDIRECTS', 'offline', 'too_many_redirects'],
    ['net::ERR_TUNNEL_CONNECTION_FAILED', 'error', 'internal'],
    ['net::ERR_ABORTED', 'error', 'internal'],
    ['net::ERR_SOMETHING_NEW', 'error', 'internal'],
  ])('%s → %s/%s', (name, outcome, reason) => {
    expect(classifyNetError(name)).toEqual({ outcome, reason });
  });

  it('always gives a valid pair', () => {
    for (const name of ['', 'garbage', 'net::', 'ERR_', 'net::ERR_PROXY_AUTH_UNSUPPORTED']) {
      const { outcome, reason } = classifyNetError(name);
      if (outcome === 'offline') expect(OFFLINE_REASONS).toContain(reason);
      else expect(ERROR_REASONS).toContain(reason);
    }
  });
});

describe('judgePage', () => {
  it('expected hash among the media: online, reporting that body', () => {
    const verdict = judgePage(
      page({ bodies: [media('b'.repeat(64)), media('c'.repeat(64))] }),
      rules({ sha256: 'C'.repeat(64) }),
    );
    expect(verdict).toMatchObject({ outcome: 'online', reason: null });
    expect(verdict.body?.sha256).toBe('c'.repeat(64));
  });

  it('expected hash absent: content_changed; a placeholder among the media: placeholder', () => {
    expect(
      judgePage(page({ bodies: [media('b'.repeat(64))] }), rules({ sha256: 'c'.repeat(64) })).reason,
    ).toBe('content_changed');
    expect(
      judgePage(page({ bodies: [media('a'.repeat(64))] }), rules({ sha256: 'c'.repeat(64) })).reason,
    ).toBe('placeholder');
  });

  it('no expected hash: online on a 2xx document', () => {
    expect(judgePage(page(), rules())).toMatchObject({ outcome: 'online', reason: null });
  });

  it('expected content not seen but requests were refused by the policy: error/blocked, not a removal', () => {
    expect(judgePage(page({ refusedByPolicy: 1 }), rules({ sha256: 'c'.repeat(64) }))).toMatchObject({
      outcome: 'error',
      reason: 'blocked',
    });
  });

  it('expected content not seen but some media were not hashed (limits): online, not content_changed', () => {
    const verdict = judgePage(page({ unverified: 1 }), rules({ sha256: 'c'.repeat(64) }));
    expect(verdict.outcome).toBe('online');
    expect(verdict.note).toMatch(/not verified/);
  });

  it('document status decides first', () => {
    for (const [status, reason] of [
      [404, 'http_404'],
      [410, 'http_410'],
      [451, 'http_451'],
      [403, 'http_4xx'],
      [503, 'http_5xx'],
    ] as const) {
      const doc = { url: 'http://h/page', status, contentType: null, ip: null };
      expect(
        judgePage(page({ document: doc, bodies: [media('c'.repeat(64))] }), rules({ sha256: 'c'.repeat(64) }))
          .reason,
      ).toBe(reason);
    }
  });

  it('redirects: placeholder target, and more than maxRedirects', () => {
    const toRemoved = page({
      hops: [{ url: 'http://h/a', status: 302, ip: null }],
      document: { url: 'http://h/removed.png', status: 200, contentType: null, ip: null },
    });
    expect(judgePage(toRemoved, rules()).reason).toBe('placeholder');
    const long = page({
      hops: [1, 2, 3].map((n) => ({ url: `http://h/${n}`, status: 302, ip: null })),
    });
    expect(judgePage(long, rules())).toMatchObject({ outcome: 'offline', reason: 'too_many_redirects' });
  });

  it("no document: the proxy's own error first, then Chromium's", () => {
    const blocked = page({
      document: null,
      failure: {
        url: 'http://h/',
        netError: 'ERR_TUNNEL_CONNECTION_FAILED',
        proxyFailure: new BlockedAddressError('h', '10.0.0.1'),
      },
    });
    expect(judgePage(blocked, rules())).toMatchObject({ outcome: 'error', reason: 'blocked' });
    const nx = page({
      document: null,
      failure: {
        url: 'http://h/',
        netError: null,
        proxyFailure: new DnsLookupError('h', 'nxdomain', 'ENOTFOUND'),
      },
    });
    expect(judgePage(nx, rules())).toMatchObject({ outcome: 'offline', reason: 'dns_nxdomain' });
    const tls = page({
      document: null,
      failure: { url: 'https://h/', netError: 'ERR_CERT_DATE_INVALID', proxyFailure: undefined },
    });
    expect(judgePage(tls, rules())).toMatchObject({ outcome: 'offline', reason: 'tls_error' });
    const none = page({ document: null, failure: null });
    expect(judgePage(none, rules())).toMatchObject({ outcome: 'error', reason: 'internal' });
  });

  it("a document the proxy answered for (marked) is judged by the proxy's error", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const doc = { url: 'http://h/page', status: 502, contentType: null, ip: null, proxyFailure: refused };
    expect(judgePage(page({ document: doc }), rules())).toMatchObject({
      outcome: 'offline',
      reason: 'connection_refused',
    });
  });
});

describe('decodeDataUrl', () => {
  it('decodes base64 and percent-encoded payloads, refuses junk', () => {
    expect(decodeDataUrl('data:image/png;base64,aGVsbG8=')?.toString()).toBe('hello');
    expect(decodeDataUrl('data:text/plain,a%20b')?.toString()).toBe('a b');
    expect(decodeDataUrl('data:nocomma')).toBeNull();
    expect(decodeDataUrl('data:text/plain,%E0%A4%A')).toBeNull();
  });
});
