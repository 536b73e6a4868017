import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH, ValidationError, normalizeUrl, registrableDomainOf } from '@tdm/core';

/** Runs `fn` and returns the ValidationError it throws (fails the test if it does not). */
function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('normalizeUrl: accepted URLs', () => {
  it.each([
    ['lower-cases scheme and host', 'HTTP://ExAmPle.COM/Path', 'http://example.com/Path'],
    ['trims white space', '  https://example.com/a \n', 'https://example.com/a'],
    ['drops the default http port', 'http://example.com:80/a', 'http://example.com/a'],
    ['drops the default https port', 'https://example.com:443/a', 'https://example.com/a'],
    ['keeps another port', 'http://example.com:8080/a', 'http://example.com:8080/a'],
    ['keeps 443 on http', 'http://example.com:443/a', 'http://example.com:443/a'],
    ['drops the fragment', 'https://example.com/a?b=c#frag', 'https://example.com/a?b=c'],
    ['drops an empty fragment', 'https://example.com/a#', 'https://example.com/a'],
    ['adds the root path', 'https://example.com', 'https://example.com/'],
    ['keeps the case of path and query', 'http://example.com/A/b?Q=X&a=1', 'http://example.com/A/b?Q=X&a=1'],
    [
      'does not decode escapes',
      'http://example.com/a%2Fb%2fc?x=%41%20',
      'http://example.com/a%2Fb%2fc?x=%41%20',
    ],
    ['does not sort the query', 'http://example.com/?z=1&a=2&z=0', 'http://example.com/?z=1&a=2&z=0'],
    ['keeps an empty query', 'http://example.com/a?', 'http://example.com/a?'],
    ['keeps a trailing slash', 'http://example.com/a/', 'http://example.com/a/'],
    [
      'percent-encodes a space and non-ASCII (WHATWG)',
      'http://example.com/ä b?q=ü',
      'http://example.com/%C3%A4%20b?q=%C3%BC',
    ],
    ['resolves dot segments (WHATWG)', 'http://example.com/a/./b/../c', 'http://example.com/a/c'],
    ['turns IDN into punycode', 'http://Bücher.example/x', 'http://xn--bcher-kva.example/x'],
    ['canonicalises a decimal IPv4 literal', 'http://2130706433/', 'http://127.0.0.1/'],
    ['canonicalises a hex/short IPv4 literal', 'http://0x7f.1/', 'http://127.0.0.1/'],
    ['canonicalises an octal IPv4 literal', 'http://0177.0.0.01/', 'http://127.0.0.1/'],
    ['compresses an IPv6 literal', 'http://[0:0:0:0:0:0:0:1]:80/', 'http://[::1]/'],
    ['lower-cases an IPv6 literal', 'http://[2001:DB8::A]/', 'http://[2001:db8::a]/'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeUrl(input).url).toBe(expected);
  });

  it('returns host without port, registrable domain and the trimmed original', () => {
    expect(normalizeUrl(' https://WWW.Shop.Example.CO.UK:8443/x#y ')).toEqual({
      url: 'https://www.shop.example.co.uk:8443/x',
      host: 'www.shop.example.co.uk',
      registrableDomain: 'example.co.uk',
      originalUrl: 'https://WWW.Shop.Example.CO.UK:8443/x#y',
    });
  });

  it.each([
    ['https://a.b.example.com/', 'example.com'],
    ['https://bbc.co.uk/', 'bbc.co.uk'],
    // Private suffixes are not applied: every github.io site shares one key.
    ['https://someone.github.io/', 'github.io'],
    ['http://localhost:3000/', 'localhost'],
    ['http://intranet/', 'intranet'],
    // Unknown top-level labels count as a suffix.
    ['http://a.b.test/', 'b.test'],
    ['http://co.uk/', 'co.uk'],
    ['http://127.0.0.1:8080/', '127.0.0.1'],
    ['http://[::1]/', '[::1]'],
    ['http://münchen.de/', 'xn--mnchen-3ya.de'],
  ])('registrable domain of %s is %s', (input, expected) => {
    expect(normalizeUrl(input).registrableDomain).toBe(expected);
  });

  it('registrableDomainOf treats a trailing-dot host like the host without it', () => {
    expect(normalizeUrl('http://www.example.com./').host).toBe('www.example.com.');
    expect(registrableDomainOf('www.example.com.')).toBe('example.com');
  });

  it('accepts a URL of exactly the maximum length', () => {
    const prefix = 'http://example.com/';
    const url = prefix + 'a'.repeat(MAX_URL_LENGTH - prefix.length);
    expect(normalizeUrl(url).url).toBe(url);
  });
});

describe('normalizeUrl: rejected URLs', () => {
  it.each([
    ['empty', '', 'TDM_ERR_URL_INVALID'],
    ['white space only', '   ', 'TDM_ERR_URL_INVALID'],
    ['no scheme', 'example.com/a', 'TDM_ERR_URL_INVALID'],
    ['scheme-relative', '//example.com/a', 'TDM_ERR_URL_INVALID'],
    ['no slashes after the scheme', 'http:example.com', 'TDM_ERR_URL_INVALID'],
    ['backslashes after the scheme', 'http:\\\\example.com', 'TDM_ERR_URL_INVALID'],
    ['no host', 'http://', 'TDM_ERR_URL_INVALID'],
    ['bad port', 'http://example.com:99999/', 'TDM_ERR_URL_INVALID'],
    ['bad IPv6', 'http://[::g]/', 'TDM_ERR_URL_INVALID'],
    ['forbidden host character', 'http://exa mple.com/', 'TDM_ERR_URL_INVALID'],
    ['a tab inside', 'http://example.com/a\tb', 'TDM_ERR_URL_INVALID'],
    ['a line break inside', 'http://example.com/a\nb', 'TDM_ERR_URL_INVALID'],
    ['ftp', 'ftp://example.com/file', 'TDM_ERR_URL_SCHEME'],
    ['javascript', 'javascript:alert(1)', 'TDM_ERR_URL_SCHEME'],
    ['mailto', 'mailto:a@example.com', 'TDM_ERR_URL_SCHEME'],
    ['file', 'file:///etc/passwd', 'TDM_ERR_URL_SCHEME'],
    ['user and password', 'http://user:secret@example.com/', 'TDM_ERR_URL_CREDENTIALS'],
    ['user only', 'https://user@example.com/', 'TDM_ERR_URL_CREDENTIALS'],
    ['password only', 'https://:secret@example.com/', 'TDM_ERR_URL_CREDENTIALS'],
  ])('%s', (_name, input, code) => {
    const error = rejection(() => normalizeUrl(input));
    expect(error.code).toBe(code);
    expect(error.field).toBe('url');
    expect(error.message).toMatch(/^url: /);
  });

  it('rejects a 10 KB URL as too long, with a short message', () => {
    const url = 'http://example.com/' + 'a'.repeat(10_000);
    const error = rejection(() => normalizeUrl(url));
    expect(error.code).toBe('TDM_ERR_URL_TOO_LONG');
    expect(error.message).toContain(`${url.length} characters`);
    expect(error.message.length).toBeLessThan(400);
  });

  it('checks the length before parsing, so a long non-URL is TOO_LONG, not INVALID', () => {
    expect(rejection(() => normalizeUrl('x'.repeat(MAX_URL_LENGTH + 1))).code).toBe('TDM_ERR_URL_TOO_LONG');
  });

  it('rejects a URL that percent-encoding makes longer than the limit', () => {
    // 2,000 spaces become 6,000 characters of %20.
    const error = rejection(() => normalizeUrl('http://example.com/' + ' '.repeat(2000) + 'x'));
    expect(error.code).toBe('TDM_ERR_URL_TOO_LONG');
    expect(error.message).toContain('after percent-encoding');
  });

  it('never repeats a password in the message', () => {
    const error = rejection(() => normalizeUrl('http://user:hunter2@example.com/'));
    expect(error.message).not.toContain('hunter2');
  });

  it('names the scheme that is refused', () => {
    expect(rejection(() => normalizeUrl('FTP://example.com/')).message).toContain('scheme "ftp"');
  });
});

// Generators for the properties: hosts of ASCII labels in random case, paths and queries
// of characters that WHATWG URL leaves alone, plus percent escapes in either case.
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const tld = fc.stringMatching(/^[a-z]{2,6}$/);
const randomCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));
const host = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld)
  .map(([labels, top]) => [...labels, top].join('.'))
  .chain((h) => randomCase(h).map((cased) => ({ lower: h, cased })));
const escape = fc.stringMatching(/^%[0-9a-fA-F]{2}$/);
const pathChar = fc.oneof(fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@".split('')), escape);
const segment = fc
  .array(pathChar, { minLength: 0, maxLength: 8 })
  .map((chars) => chars.join(''))
  .filter((s) => !/^(\.|%2e){1,2}$/i.test(s));
const path = fc.array(segment, { minLength: 0, maxLength: 5 }).map((segments) => '/' + segments.join('/'));
const queryChar = fc.oneof(fc.constantFrom(...'abcXYZ019-._~!$&()*+,;=:@/?'.split('')), escape);
const query = fc.option(
  fc.array(queryChar, { maxLength: 12 }).map((chars) => '?' + chars.join('')),
  { nil: '' },
);
const fragment = fc.option(
  fc.string({ maxLength: 10 }).map((s) => '#' + s),
  { nil: '' },
);
const scheme = fc.constantFrom('http', 'https', 'HTTP', 'Https');

describe('normalizeUrl: properties', () => {
  it('is idempotent on generated web URLs', () => {
    fc.assert(
      fc.property(
        fc.webUrl({
          authoritySettings: { withIPv4: true, withIPv6: true, withPort: true },
          withQueryParameters: true,
          withFragments: true,
        }),
        (url) => {
          const once = normalizeUrl(url).url;
          expect(normalizeUrl(once).url).toBe(once);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is idempotent on arbitrary paths (any code points) that it accepts', () => {
    fc.assert(
      fc.property(host, fc.string({ unit: 'binary', maxLength: 40 }), ({ cased }, tail) => {
        let once: string;
        try {
          once = normalizeUrl(`http://${cased}/${tail}`).url;
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        expect(normalizeUrl(once).url).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('lower-cases the host, keeps path and query, drops the fragment', () => {
    fc.assert(
      fc.property(scheme, host, path, query, fragment, (sch, { lower, cased }, p, q, f) => {
        const result = normalizeUrl(`${sch}://${cased}${p}${q}${f}`);
        expect(result.host).toBe(lower);
        expect(result.url).toBe(`${sch.toLowerCase()}://${lower}${p}${q}`);
        expect(result.url).not.toContain('#');
      }),
      { numRuns: 500 },
    );
  });

  it('drops default ports and keeps the others', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http', 'https'),
        host,
        fc.oneof(fc.constantFrom(80, 443), fc.integer({ min: 1, max: 65535 })),
        (sch, { lower }, port) => {
          const result = normalizeUrl(`${sch}://${lower}:${port}/x`);
          const isDefault = (sch === 'http' && port === 80) || (sch === 'https' && port === 443);
          expect(result.url).toBe(isDefault ? `${sch}://${lower}/x` : `${sch}://${lower}:${port}/x`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('turns non-ASCII labels into xn-- labels', () => {
    const unicodeLabel = fc
      .tuple(
        fc.stringMatching(/^[a-z]{0,4}$/),
        fc.constantFrom('ä', 'ö', 'ü', 'é', 'ñ', 'ß', 'ж', 'δ'),
        fc.stringMatching(/^[a-z]{0,4}$/),
      )
      .map(([a, b, c]) => a + b + c);
    fc.assert(
      fc.property(unicodeLabel, tld, (name, top) => {
        const result = normalizeUrl(`https://${name}.${top}/`);
        expect(result.host).toBe(domainToASCII(`${name}.${top}`));
        expect(result.host).toMatch(/^[\x21-\x7e]+$/);
        expect(result.host.startsWith('xn--')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
