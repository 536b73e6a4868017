import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_REASONS, OFFLINE_REASONS, type Outcome, type Reason } from '@tdm/core';
import {
  BlockedAddressError,
  CheckAbortedError,
  CheckTimeoutError,
  DnsLookupError,
  classifyBody,
  classifyError,
  classifyRedirect,
  classifyStatus,
  isDocumentType,
  isMediaType,
  mediaTypeEssence,
  type Classification,
} from '@tdm/probe';

/** A valid pair: online has no reason; offline an offline reason; error an error reason. */
function isValid(c: Classification): boolean {
  const outcomes: Outcome[] = ['online', 'offline', 'error'];
  if (!outcomes.includes(c.outcome)) return false;
  if (c.outcome === 'online') return c.reason === null;
  if (c.outcome === 'offline') return (OFFLINE_REASONS as readonly (Reason | null)[]).includes(c.reason);
  return (ERROR_REASONS as readonly (Reason | null)[]).includes(c.reason);
}

const KNOWN_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ESERVFAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_DESTROYED',
  'UND_ERR_ABORTED',
  'HPE_INVALID_CONSTANT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'Z_DATA_ERROR',
  'ERR_BROTLI_DECOMPRESSION_FAILED',
  'EMFILE',
];

const errorLike: fc.Arbitrary<unknown> = fc.letrec<{ err: unknown }>((tie) => ({
  err: fc.oneof(
    { depthSize: 'small' },
    fc.anything(),
    fc.record({ code: fc.oneof(fc.constantFrom(...KNOWN_CODES), fc.string()), message: fc.string() }),
    fc
      .tuple(fc.constantFrom(...KNOWN_CODES, 'X'), fc.string())
      .map(([code, message]) => Object.assign(new Error(message), { code })),
    fc.tuple(fc.string(), tie('err')).map(([message, cause]) => new Error(message, { cause })),
    fc.array(tie('err'), { maxLength: 3 }).map((errors) => new AggregateError(errors, 'all failed')),
    fc.constantFrom<unknown>(
      new CheckAbortedError(),
      new CheckTimeoutError(1000),
      new BlockedAddressError('h', '127.0.0.1'),
      new DnsLookupError('h', 'nxdomain', 'ENOTFOUND'),
      new DnsLookupError('h', 'temporary', 'ESERVFAIL'),
      new DnsLookupError('h', 'unavailable', 'ECONNREFUSED'),
    ),
  ),
})).err;

describe('classification is total and valid', () => {
  it('classifyError: any thrown value maps to a valid (outcome, reason) and a short message', () => {
    fc.assert(
      fc.property(
        errorLike,
        fc.constantFrom(undefined, { phase: 'dns' as const }, { phase: 'http' as const }),
        (error, context) => {
          const c = classifyError(error, context);
          expect(isValid(c)).toBe(true);
          expect(c.message.length).toBeGreaterThan(0);
          expect(c.message.length).toBeLessThanOrEqual(200);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('classifyStatus: any number maps to a valid pair', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -10, max: 1200 }), fc.double()), (status) => {
        expect(isValid(classifyStatus(status))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('classifyBody and classifyRedirect: any input maps to a valid pair', () => {
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 64 });
    fc.assert(
      fc.property(
        fc.record({
          sha256: hex,
          sha1: fc.option(hex),
          md5: fc.option(hex),
          truncated: fc.boolean(),
          contentType: fc.option(fc.string()),
        }),
        fc.record({
          sha256: fc.option(hex, { nil: undefined }),
          sha1: fc.option(hex, { nil: undefined }),
          md5: fc.option(hex, { nil: undefined }),
          contentType: fc.option(
            fc.oneof(fc.string(), fc.constantFrom('image/jpeg', 'video/mp4', 'audio/mpeg')),
            { nil: undefined },
          ),
        }),
        fc.boolean(),
        (body, expected, placeholder) => {
          expect(isValid(classifyBody(body, expected, () => placeholder))).toBe(true);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.option(fc.webUrl()),
        fc.nat(50),
        fc.nat(50),
        fc.boolean(),
        (url, followed, max, placeholder) => {
          const verdict = classifyRedirect({
            target: url ? new URL(url) : null,
            followed,
            maxRedirects: max,
            isPlaceholderUrl: () => placeholder,
          });
          expect(verdict === 'follow' || isValid(verdict)).toBe(true);
          if (verdict === 'follow') expect(followed).toBeLessThan(max);
        },
      ),
    );
  });
});

describe('classification: the documented mapping', () => {
  it.each([
    [200, 'online', null],
    [299, 'online', null],
    [404, 'offline', 'http_404'],
    [410, 'offline', 'http_410'],
    [451, 'offline', 'http_451'],
    [408, 'offline', 'timeout'],
    [429, 'error', 'rate_limited'],
    [400, 'offline', 'http_4xx'],
    [403, 'offline', 'http_4xx'],
    [304, 'offline', 'http_4xx'],
    [500, 'offline', 'http_5xx'],
    [503, 'offline', 'http_5xx'],
  ] as const)('status %i → %s/%s', (status, outcome, reason) => {
    expect(classifyStatus(status)).toEqual({ outcome, reason });
  });

  it.each([
    ['ECONNREFUSED', 'offline', 'connection_refused'],
    ['ECONNRESET', 'offline', 'connection_reset'],
    ['UND_ERR_SOCKET', 'offline', 'connection_reset'],
    ['HPE_INVALID_CONSTANT', 'offline', 'connection_reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'offline', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'offline', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'offline', 'timeout'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'offline', 'tls_error'],
    ['CERT_HAS_EXPIRED', 'offline', 'tls_error'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'offline', 'tls_error'],
    ['UND_ERR_DESTROYED', 'error', 'worker_shutdown'],
    ['ENETUNREACH', 'error', 'internal'],
    ['SOMETHING_NEW', 'error', 'internal'],
  ] as const)('error code %s → %s/%s', (code, outcome, reason) => {
    const c = classifyError(Object.assign(new Error('x'), { code }));
    expect({ outcome: c.outcome, reason: c.reason }).toEqual({ outcome, reason });
  });

  it('running out of time while our resolver has not answered is resolver_unavailable, not timeout', () => {
    expect(classifyError(new CheckTimeoutError(1000), { phase: 'dns' }).reason).toBe('resolver_unavailable');
    expect(classifyError(new CheckTimeoutError(1000), { phase: 'http' }).reason).toBe('timeout');
  });

  it('a wrapped cause is found', () => {
    const wrapped = new TypeError('fetch failed', {
      cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    expect(classifyError(wrapped).reason).toBe('connection_refused');
  });

  it('a placeholder hash wins over an expected-hash mismatch; a cut body is never content_changed', () => {
    const body = { sha256: 'aa', sha1: null, md5: null, truncated: false };
    expect(classifyBody(body, { sha256: 'bb' }, () => true).reason).toBe('placeholder');
    expect(classifyBody(body, { sha256: 'bb' }, () => false).reason).toBe('content_changed');
    expect(classifyBody({ ...body, truncated: true }, { sha256: 'bb' }, () => false).outcome).toBe('online');
  });
});

/** Media types in the shapes servers send them: any case, parameters, stray spaces. */
const typeIn = (families: string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom(...families),
      fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,20}$/),
      fc.constantFrom('', '; charset=utf-8', ';q=1', ' ; boundary="x"'),
      fc.boolean(),
    )
    .map(([family, subtype, params, upper]) => {
      const text = `${family}/${subtype}${params}`;
      return upper ? text.toUpperCase() : text;
    });
const mediaType = typeIn(['image', 'video', 'audio']);
const pageType = fc.oneof(
  typeIn(['text']),
  fc.constantFrom(
    'application/xhtml+xml',
    'application/json',
    'application/xml',
    'application/problem+json',
    'application/javascript',
    'application/rss+xml',
  ),
);
/** Types that must decide nothing: ambiguous binary, garbage, missing. */
const undecidedType = fc.oneof(
  fc.constantFrom(
    'application/octet-stream',
    'binary/octet-stream',
    'application/x-unknown',
    'application/zip',
    '',
    'html',
    '/',
    'text',
    null,
    undefined,
  ),
  fc.string({ maxLength: 40 }).filter((s) => !/^\s*(text|image|video|audio|application)\//i.test(s)),
);
const sameBody = { sha256: 'aa', sha1: null, md5: null };

describe('the soft-removal rule (expected.contentType)', () => {
  it('media first seen, a page now: always content_changed (unless a placeholder hash), cut or not', () => {
    fc.assert(
      fc.property(mediaType, pageType, fc.boolean(), fc.boolean(), (first, now, truncated, placeholder) => {
        const verdict = classifyBody(
          { ...sameBody, truncated, contentType: now },
          { sha256: 'aa', contentType: first },
          () => placeholder,
        );
        const expected = placeholder && !truncated ? 'placeholder' : 'content_changed';
        expect(verdict).toEqual({ outcome: 'offline', reason: expected });
      }),
      { numRuns: 1000 },
    );
  });

  it('an undecided answer type, media to media, or a non-media first type never makes a match content_changed', () => {
    const firstAny = fc.oneof(mediaType, pageType, undecidedType);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(mediaType, fc.oneof(mediaType, undecidedType)),
          fc.tuple(fc.oneof(pageType, undecidedType), firstAny),
        ),
        fc.boolean(),
        ([first, now], truncated) => {
          const verdict = classifyBody(
            { ...sameBody, truncated, contentType: now },
            { sha256: 'aa', ...(first == null ? {} : { contentType: first }) },
            () => false,
          );
          expect(verdict).toEqual({ outcome: 'online', reason: null });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('mediaTypeEssence: lower-case type/subtype or null; media and document never overlap', () => {
    fc.assert(
      fc.property(fc.oneof(mediaType, pageType, undecidedType, fc.string()), (value) => {
        const essence = mediaTypeEssence(value);
        if (essence !== null) expect(essence).toMatch(/^[^/;\sA-Z]+\/[^/;\sA-Z]+$/);
        expect(isMediaType(essence) && isDocumentType(essence)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
