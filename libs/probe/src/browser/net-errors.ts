/**
 * The one place where Chromium's network error names (`net::ERR_*`, as Playwright reports
 * them in `request.failure().errorText` and navigation errors) become the domain's
 * outcome and reason. Like classify.ts for the HTTP prober: anything not recognised is
 * `error`/`internal`, so an unknown failure never counts towards a removal.
 *
 * Note: DNS never fails inside Chromium (our egress proxy resolves every name), and
 * failures the proxy saw (refused, blocked, NXDOMAIN ...) are classified from the proxy's
 * own error, not from these names; these cover what only the browser sees (TLS, broken
 * responses, timeouts on an open tunnel).
 */
import type { Classification } from '../classify.js';

const offline = (reason: Classification['reason']): Classification => ({ outcome: 'offline', reason });
const failed = (reason: Classification['reason']): Classification => ({ outcome: 'error', reason });

const EXACT: ReadonlyMap<string, Classification> = new Map([
  ['ERR_CONNECTION_REFUSED', offline('connection_refused')],
  ['ERR_CONNECTION_RESET', offline('connection_reset')],
  ['ERR_CONNECTION_CLOSED', offline('connection_reset')],
  ['ERR_CONNECTION_ABORTED', offline('connection_reset')],
  ['ERR_CONNECTION_FAILED', offline('connection_reset')],
  ['ERR_EMPTY_RESPONSE', offline('connection_reset')],
  ['ERR_SOCKET_NOT_CONNECTED', offline('connection_reset')],
  ['ERR_INVALID_HTTP_RESPONSE', offline('connection_reset')],
  ['ERR_CONTENT_LENGTH_MISMATCH', offline('connection_reset')],
  ['ERR_INCOMPLETE_CHUNKED_ENCODING', offline('connection_reset')],
  ['ERR_INVALID_CHUNKED_ENCODING', offline('connection_reset')],
  ['ERR_RESPONSE_HEADERS_TOO_BIG', offline('connection_reset')],
  ['ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH', offline('connection_reset')],
  ['ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION', offline('connection_reset')],
  ['ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION', offline('connection_reset')],
  ['ERR_HTTP2_PROTOCOL_ERROR', offline('connection_reset')],
  ['ERR_HTTP2_PING_FAILED', offline('connection_reset')],
  ['ERR_HTTP2_SERVER_REFUSED_STREAM', offline('connection_reset')],
  ['ERR_HTTP2_STREAM_CLOSED', offline('connection_reset')],
  ['ERR_HTTP_1_1_REQUIRED', offline('connection_reset')],
  ['ERR_CONTENT_DECODING_FAILED', offline('http_5xx')],
  ['ERR_CONTENT_DECODING_INIT_FAILED', offline('http_5xx')],
  ['ERR_TIMED_OUT', offline('timeout')],
  ['ERR_CONNECTION_TIMED_OUT', offline('timeout')],
  ['ERR_ADDRESS_UNREACHABLE', offline('timeout')],
  ['ERR_NAME_NOT_RESOLVED', offline('dns_nxdomain')],
  ['ERR_NAME_RESOLUTION_FAILED', offline('dns_temporary')],
  ['ERR_TOO_MANY_REDIRECTS', offline('too_many_redirects')],
  // A redirect to a scheme we cannot follow, or an unparsable Location: not served here.
  ['ERR_UNSAFE_REDIRECT', offline('http_4xx')],
  ['ERR_INVALID_REDIRECT', offline('http_4xx')],
  ['ERR_UNKNOWN_URL_SCHEME', offline('http_4xx')],
  // The proxy refused the tunnel: only reached when the proxy recorded no reason (a bug).
  ['ERR_TUNNEL_CONNECTION_FAILED', failed('internal')],
  ['ERR_PROXY_CONNECTION_FAILED', failed('internal')],
  // Our side: the check was cancelled, the browser or our network failed.
  ['ERR_ABORTED', failed('internal')],
  ['ERR_INTERNET_DISCONNECTED', failed('internal')],
  ['ERR_NETWORK_CHANGED', failed('internal')],
  ['ERR_ADDRESS_INVALID', failed('internal')],
  ['ERR_ADDRESS_IN_USE', failed('internal')],
  ['ERR_INSUFFICIENT_RESOURCES', failed('internal')],
  ['ERR_OUT_OF_MEMORY', failed('internal')],
  ['ERR_BLOCKED_BY_CLIENT', failed('blocked')],
]);

/** The `ERR_*` name inside a Playwright error text or message, if any. */
export function netErrorName(text: string | null | undefined): string | null {
  if (!text) return null;
  const match = /net::(ERR_[A-Z0-9_]+)/.exec(text);
  return match?.[1] ?? null;
}

/** Maps a Chromium network error name (`ERR_…`, with or without `net::`) to outcome and reason. */
export function classifyNetError(name: string): Classification {
  const bare = name.startsWith('net::') ? name.slice(5) : name;
  const exact = EXACT.get(bare);
  if (exact) return exact;
  // Certificate and handshake failures: certificates are verified normally.
  if (
    bare.startsWith('ERR_CERT_') ||
    bare.startsWith('ERR_SSL_') ||
    bare === 'ERR_BAD_SSL_CLIENT_AUTH_CERT'
  ) {
    return offline('tls_error');
  }
  if (bare.startsWith('ERR_PROXY_') || bare.startsWith('ERR_TUNNEL_')) return failed('internal');
  return failed('internal');
}
