/**
 * URL normalisation: the item's identity. Two reports whose URLs normalise to the same
 * string are one item, so the rules here decide what "the same URL" means:
 *
 * - Leading and trailing white space is trimmed; control characters inside (tab, line
 *   break, …) are rejected rather than silently dropped as WHATWG URL would.
 * - Only absolute `http://` and `https://` URLs with a host are accepted; user names and
 *   passwords are refused (they would leak a secret into logs and the API).
 * - Scheme and host are lower-cased; an IDN host becomes punycode (`xn--…`); the default
 *   port (80, 443) is dropped; the fragment is dropped (it is never sent to the server).
 * - IPv4 literals in any spelling WHATWG URL accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`)
 *   become a dotted quad; IPv6 literals are compressed and lower-cased, in brackets.
 * - Path and query are kept as WHATWG URL serialises them: percent escapes are never
 *   decoded and keep their case, parameters are not sorted, an empty query (`?`) stays.
 *   What WHATWG URL itself changes is kept on purpose (it is what every HTTP client sends):
 *   characters that may not appear raw (space, `"`, `<`, `>`, non-ASCII, …) are
 *   percent-encoded as UTF-8, `.`/`..` segments (also `%2e`) are resolved, `\` becomes `/`,
 *   and an empty path becomes `/`.
 * - A trailing dot in the host (`example.com.`) is kept: it is a different spelling on
 *   the wire, though it shares the registrable domain.
 */
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { ValidationError } from './errors.js';
import { describe, quote } from './quote.js';

export interface NormalizedUrl {
  /** The normalised URL string. */
  url: string;
  /** Host as in the normalised URL (punycode, lower-case, IPv6 in brackets), without the port. */
  host: string;
  /**
   * The politeness and ranking key: eTLD+1 by the ICANN part of the public suffix list
   * (tldts, private suffixes such as `github.io` not applied, so `a.github.io` gives
   * `github.io`). Unknown top-level labels count as a suffix (`a.b.test` gives `b.test`).
   * The host itself for IP literals and for hosts without a registrable part
   * (`localhost`, `intranet`, a bare public suffix such as `co.uk`).
   */
  registrableDomain: string;
  /** The input, trimmed. */
  originalUrl: string;
}

/** Longest accepted URL, in characters, before and after normalisation. */
export const MAX_URL_LENGTH = 4096;

// eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Checks and normalises one URL (see the module comment for the rules).
 * @throws ValidationError with field `url` and code `TDM_ERR_URL_INVALID`,
 *   `TDM_ERR_URL_SCHEME`, `TDM_ERR_URL_TOO_LONG` or `TDM_ERR_URL_CREDENTIALS`.
 */
export function normalizeUrl(input: string): NormalizedUrl {
  if (typeof input !== 'string') {
    throw new ValidationError('TDM_ERR_FIELD', 'url', `url: expected a string, got ${describe(input)}`);
  }
  const trimmed = input.trim();
  // Checked before parsing, so an oversized input costs no parser time.
  if (trimmed.length > MAX_URL_LENGTH) {
    throw new ValidationError(
      'TDM_ERR_URL_TOO_LONG',
      'url',
      `url: ${trimmed.length} characters, longer than the limit of ${MAX_URL_LENGTH}: ${quote(trimmed)}`,
    );
  }
  if (trimmed === '') throw new ValidationError('TDM_ERR_URL_INVALID', 'url', 'url: empty');
  const control = CONTROL_CHARACTER.exec(trimmed);
  if (control) {
    throw new ValidationError(
      'TDM_ERR_URL_INVALID',
      'url',
      `url: contains a control character (code ${control[0].charCodeAt(0)}) at position ${control.index}: ${quote(trimmed)}`,
    );
  }
  const scheme = SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new ValidationError(
      'TDM_ERR_URL_INVALID',
      'url',
      `url: not an absolute URL (no scheme): ${quote(trimmed)}`,
    );
  }
  if (scheme !== 'http' && scheme !== 'https') {
    throw new ValidationError(
      'TDM_ERR_URL_SCHEME',
      'url',
      `url: scheme "${scheme}" is not http or https: ${quote(trimmed)}`,
    );
  }
  // WHATWG URL would read `http:example.com` or `http:\\example.com` as a host; a report
  // in that shape is more likely a typo than intent, so ask for the usual spelling.
  if (trimmed.slice(scheme.length + 1, scheme.length + 3) !== '//') {
    throw new ValidationError(
      'TDM_ERR_URL_INVALID',
      'url',
      `url: not an absolute URL (expected "${scheme}://" followed by a host): ${quote(trimmed)}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new ValidationError(
      'TDM_ERR_URL_INVALID',
      'url',
      `url: not a valid absolute URL: ${quote(trimmed)}`,
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // The message leaves the URL out on purpose: it holds a password.
    throw new ValidationError(
      'TDM_ERR_URL_CREDENTIALS',
      'url',
      'url: carries a user name or password (user:password@host); remove them',
    );
  }
  const host = parsed.hostname;
  if (host === '')
    throw new ValidationError('TDM_ERR_URL_INVALID', 'url', `url: has no host: ${quote(trimmed)}`);
  parsed.hash = '';
  const url = parsed.href;
  if (url.length > MAX_URL_LENGTH) {
    throw new ValidationError(
      'TDM_ERR_URL_TOO_LONG',
      'url',
      `url: ${url.length} characters after percent-encoding, longer than the limit of ${MAX_URL_LENGTH}: ${quote(trimmed)}`,
    );
  }
  return { url, host, registrableDomain: registrableDomainOf(host), originalUrl: trimmed };
}

/** eTLD+1 of a normalised host, or the host itself (see `NormalizedUrl.registrableDomain`). */
export function registrableDomainOf(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return host;
  return getDomain(host, { allowPrivateDomains: false }) ?? host;
}
