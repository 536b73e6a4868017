/**
 * The prober's options. The names are the `Config` fields (libs/core/src/config.ts), so a
 * caller can pass the compiled configuration straight through.
 */
import { ConfigError } from '@tdm/core';

export interface HttpProberOptions {
  /** Time for DNS, TCP connect and TLS handshake of one hop. */
  connectTimeoutMs: number;
  /** Time from request sent to complete response headers; also the longest pause between body chunks. */
  headersTimeoutMs: number;
  /** The whole check: every hop, headers and body. `probe()` always settles within this (plus a little). */
  checkTimeoutMs: number;
  /** Body bytes hashed at most (after decoding); a longer body is cut and hashed as far as read. */
  maxBodyBytes: number;
  /** Redirects followed at most; one more ends the check offline with `too_many_redirects`. */
  maxRedirects: number;
  userAgent: string;
  /** DNS servers as `host:port` (IPv6 as `[addr]:port`). Empty: the system's configured DNS servers. */
  dnsServers: string[];
  /**
   * The longest time a DNS answer is reused: min(record TTL, this); TTL 0 and failures are not cached.
   * @default 30000
   */
  dnsCacheMaxMs?: number;
  /** Static `host → IP address` pairs, consulted before DNS. */
  hostMap: Record<string, string>;
  /** CIDR ranges allowed in addition to public unicast. */
  allowRanges: string[];
  /** SHA-256 hex digests of known placeholder bodies. */
  placeholderSha256: string[];
  /** Extra regular expressions for placeholder redirect targets (added to the shipped list). */
  placeholderUrlPatterns: string[];
  /**
   * Reuse connections between checks (pooled per origin).
   * @default true
   */
  keepAlive?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. a private PKI or a test's self-signed one. */
  ca?: string | string[];
  /**
   * Response header bytes (names and values, all headers together) accepted at most;
   * more ends the check offline `connection_reset` (the answer cannot be read, like a
   * malformed response). Set explicitly instead of inheriting Node's 16 KiB
   * (`--max-http-header-size`): sites with large cookies and CSP headers pass 16 KiB, and
   * a limit that is too small would turn them into false removals. 256 KiB is what
   * Chromium accepts, so a page over it does not load in a browser either.
   * @default 262144 (256 KiB)
   */
  maxHeaderBytes?: number;
}

/** Default of {@link HttpProberOptions.maxHeaderBytes}. */
export const DEFAULT_MAX_HEADER_BYTES = 256 * 1024;

function positive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(`${name}: ${value} is not a positive number`);
  }
}

/** Checks the numeric options; the lists are checked where they are compiled. */
export function checkProberOptions(options: HttpProberOptions): void {
  positive('connectTimeoutMs', options.connectTimeoutMs);
  positive('headersTimeoutMs', options.headersTimeoutMs);
  positive('checkTimeoutMs', options.checkTimeoutMs);
  positive('maxBodyBytes', options.maxBodyBytes);
  positive('maxRedirects', options.maxRedirects, true);
  if (!Number.isInteger(options.maxRedirects)) throw new ConfigError('maxRedirects: not an integer');
  if (options.dnsCacheMaxMs !== undefined) positive('dnsCacheMaxMs', options.dnsCacheMaxMs, true);
  if (options.maxHeaderBytes !== undefined) {
    positive('maxHeaderBytes', options.maxHeaderBytes);
    if (!Number.isInteger(options.maxHeaderBytes)) throw new ConfigError('maxHeaderBytes: not an integer');
  }
}
