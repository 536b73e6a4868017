/**
 * The one place where raw observations become the domain's outcome and reason: HTTP
 * statuses, redirect decisions, body hashes, and undici / DNS / TLS / socket errors.
 * Errors are recognised by class and `code`, never by message text. Anything not
 * recognised is `error`/`internal`: an unknown failure must never count towards a removal.
 */
import type { ExpectedHashes, Outcome, Reason } from '@tdm/core';
import { BlockedAddressError, CheckAbortedError, CheckTimeoutError, DnsLookupError } from './errors.js';
import { isSoftRemoval } from './media-type.js';

export interface Classification {
  outcome: Outcome;
  reason: Reason | null;
}

export interface ErrorClassification extends Classification {
  /** Short, content-free description for the check log. */
  message: string;
}

const ONLINE: Classification = { outcome: 'online', reason: null };
const offline = (reason: Reason): Classification => ({ outcome: 'offline', reason });
const failed = (reason: Reason): Classification => ({ outcome: 'error', reason });

/**
 * A final (non-followed) HTTP status. 2xx is `online` here; the body verdict is
 * classifyBody's. A 3xx only reaches this when it has no usable Location: the content is
 * not served at this URL, so it counts like a 4xx.
 */
export function classifyStatus(status: number): Classification {
  if (!Number.isInteger(status)) return failed('internal');
  if (status >= 200 && status <= 299) return ONLINE;
  if (status === 404) return offline('http_404');
  if (status === 410) return offline('http_410');
  if (status === 451) return offline('http_451');
  if (status === 408) return offline('timeout');
  if (status === 429) return failed('rate_limited');
  if (status >= 300 && status <= 499) return offline('http_4xx');
  // 5xx, and anything outside the HTTP range (a broken server): transient.
  return offline('http_5xx');
}

export interface BodyObservation {
  sha256: string;
  sha1: string | null;
  md5: string | null;
  /** The body was cut at maxBodyBytes: its hashes cover only the part read. */
  truncated: boolean;
  /** The response's Content-Type header, if any. */
  contentType?: string | null;
}

/**
 * A 2xx body. A known placeholder hash wins; then an item first seen as media (image,
 * video, audio) that is now a page (text/html, JSON, ...) is a soft removal,
 * `content_changed`, whether or not the body was cut (the header is whole); then any
 * expected hash that differs means `content_changed`. A cut body cannot be compared (its
 * hashes cover a prefix), so it is `online` without verification rather than a false
 * `content_changed`.
 */
export function classifyBody(
  body: BodyObservation,
  expected: ExpectedHashes,
  isPlaceholderHash: (sha256: string) => boolean,
): Classification {
  if (!body.truncated && isPlaceholderHash(body.sha256)) return offline('placeholder');
  if (isSoftRemoval(expected.contentType, body.contentType)) return offline('content_changed');
  if (body.truncated) return ONLINE;
  const differs = (want: string | undefined, got: string | null): boolean =>
    want !== undefined && want !== '' && (got === null || want.toLowerCase() !== got.toLowerCase());
  if (
    differs(expected.sha256, body.sha256) ||
    differs(expected.sha1, body.sha1) ||
    differs(expected.md5, body.md5)
  ) {
    return offline('content_changed');
  }
  return ONLINE;
}

export interface RedirectObservation {
  /** The Location header resolved against the hop's URL; null when absent or unusable. */
  target: URL | null;
  /** Redirects already followed before this one. */
  followed: number;
  maxRedirects: number;
  isPlaceholderUrl: (url: string) => boolean;
}

/** A 3xx answer: follow it, or end the check. */
export function classifyRedirect(redirect: RedirectObservation): Classification | 'follow' {
  const target = redirect.target;
  // No Location, or one we cannot follow (another scheme): the content is not served here.
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) return offline('http_4xx');
  if (redirect.isPlaceholderUrl(target.href)) return offline('placeholder');
  if (redirect.followed >= redirect.maxRedirects) return offline('too_many_redirects');
  return 'follow';
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  // The host does not answer at all (no route to it): to us that is the same as silence.
  'EHOSTUNREACH',
  'EHOSTDOWN',
]);

/** The connection broke, or the peer spoke something that is not HTTP/1.1. */
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_INFO',
]);

/** Our own network is broken (e.g. no IPv6 route on this worker): not the target's doing. */
const LOCAL_NETWORK_CODES = new Set([
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'EADDRINUSE',
  'EMFILE',
  'ENFILE',
  'ENOBUFS',
]);

/** The prober (or its Agent) was closed while the check ran. */
const SHUTDOWN_CODES = new Set(['UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

/** OpenSSL certificate-verification codes as Node reports them. */
const TLS_CERT_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'OUT_OF_MEM',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

function codeOf(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

function isTlsCode(code: string): boolean {
  return (
    TLS_CERT_CODES.has(code) ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_OSSL_')
  );
}

function isDecodeCode(code: string): boolean {
  return code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code === 'ERR_ZLIB_INITIALIZATION_FAILED';
}

/** The error itself, then its `cause` chain and an AggregateError's members (bounded). */
function* related(error: unknown): Generator<unknown> {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  for (let steps = 0; queue.length > 0 && steps < 16; steps++) {
    const next = queue.shift();
    if (seen.has(next)) continue;
    seen.add(next);
    yield next;
    if (typeof next === 'object' && next !== null) {
      const cause: unknown = (next as { cause?: unknown }).cause;
      if (cause !== undefined) queue.push(cause);
      const members: unknown = (next as { errors?: unknown }).errors;
      if (Array.isArray(members)) queue.push(...members.slice(0, 8));
    }
  }
}

function shortMessage(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const code = codeOf(error);
    text = code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  } else {
    text = typeof error === 'string' ? error : 'non-error value thrown';
  }
  // Messages never carry body bytes, but keep them short and on one line anyway.
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text || 'unknown error';
}

function classifyOne(error: unknown): Classification | null {
  if (error instanceof CheckAbortedError) return failed('worker_shutdown');
  if (error instanceof CheckTimeoutError) return offline('timeout');
  if (error instanceof BlockedAddressError) return failed('blocked');
  if (error instanceof DnsLookupError) {
    if (error.kind === 'nxdomain') return offline('dns_nxdomain');
    if (error.kind === 'temporary') return offline('dns_temporary');
    return failed('resolver_unavailable');
  }
  const code = codeOf(error);
  if (code === null) return null;
  if (code === 'ECONNREFUSED') return offline('connection_refused');
  if (TIMEOUT_CODES.has(code)) return offline('timeout');
  if (RESET_CODES.has(code) || code.startsWith('HPE_')) return offline('connection_reset');
  if (isTlsCode(code)) return offline('tls_error');
  // A 2xx whose compressed body does not decode: the server's fault, and maybe passing.
  if (isDecodeCode(code)) return offline('http_5xx');
  if (SHUTDOWN_CODES.has(code)) return failed('worker_shutdown');
  if (LOCAL_NETWORK_CODES.has(code)) return failed('internal');
  return null;
}

/** Where the check was when the error came. */
export interface ErrorContext {
  phase?: 'dns' | 'http';
}

/**
 * Maps anything thrown or reported during a check to (outcome, reason). Total: every
 * input, of any type, gets a valid pair.
 */
export function classifyError(error: unknown, context: ErrorContext = {}): ErrorClassification {
  // Out of time while our own resolver still had not answered: that says nothing about
  // the target (its DNS would have failed with SERVFAIL by then), so it must not count.
  if (error instanceof CheckTimeoutError && context.phase === 'dns') {
    return { ...failed('resolver_unavailable'), message: 'check timed out waiting for DNS' };
  }
  for (const candidate of related(error)) {
    const found = classifyOne(candidate);
    if (found) return { ...found, message: shortMessage(candidate) };
  }
  return { ...failed('internal'), message: shortMessage(error) };
}

/** The peer address an error names (net's connect errors carry `address`), if any. */
export function errorAddress(error: unknown): string | null {
  for (const candidate of related(error)) {
    if (typeof candidate === 'object' && candidate !== null) {
      const address = (candidate as { address?: unknown }).address;
      if (typeof address === 'string' && address !== '') return address;
    }
  }
  return null;
}
