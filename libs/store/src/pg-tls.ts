/**
 * TLS to PostgreSQL, decided once from the URL and the settings, with libpq's meaning of
 * `sslmode` (node-pg's own parsing of it differs between versions, so the ssl parameters
 * are taken out of the URL here and given to pg as an explicit `ssl` option):
 *
 * - `disable`: plain TCP;
 * - `require`: encrypted, the certificate not verified (with `sslrootcert`: as verify-ca);
 * - `verify-ca`: the certificate must chain to the CA; `verify-full`: and name the host.
 * - `prefer` and `allow` are refused: they fall back to plain text without a word.
 *
 * With no `sslmode` anywhere, a host that is not loopback gets `verify-full`: the
 * database holds the list of URLs, and a URL that says nothing must not mean plain text
 * across a network. Loopback and Unix sockets default to `disable`.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '@tdm/core';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
const MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];
const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat'];

export interface PgTlsSettings {
  /** Used when the URL has no `sslmode` (TDM_DATABASE_SSLMODE). */
  mode?: string;
  /** Used when the URL has no `sslrootcert` (TDM_DATABASE_SSLROOTCERT). */
  rootCertFile?: string;
}

export interface PgConnection {
  /** The URL without its ssl parameters. */
  connectionString: string;
  ssl: false | ConnectionOptions;
  mode: SslMode;
  host: string;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === '' || bare.startsWith('/') || bare === 'localhost' || bare === '::1' || /^127\./.test(bare);
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`PostgreSQL ${what} ${file}: cannot read it (${code})`, { cause: error });
  }
}

export function pgConnection(databaseUrl: string, settings: PgTlsSettings = {}): PgConnection {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch (error) {
    throw new ConfigError('DATABASE_URL: not a URL', { cause: error });
  }
  const params = url.searchParams;
  // A Unix socket is given as ?host=/path (or an empty host).
  const host = params.get('host') ?? decodeURIComponent(url.hostname);
  const modeText = params.get('sslmode') ?? (settings.mode || (isLoopback(host) ? 'disable' : 'verify-full'));
  if (!MODES.includes(modeText)) {
    throw new ConfigError(
      `PostgreSQL sslmode "${modeText}": use disable, require, verify-ca or verify-full (prefer and allow may silently fall back to plain text)`,
    );
  }
  const mode = modeText as SslMode;
  const rootCert = params.get('sslrootcert') ?? (settings.rootCertFile || null);
  const certFile = params.get('sslcert');
  const keyFile = params.get('sslkey');
  for (const name of SSL_PARAMS) params.delete(name);
  const connectionString = url.toString();
  if (mode === 'disable') return { connectionString, ssl: false, mode, host };
  const ssl: ConnectionOptions = {};
  // `system` means Node's CA store, as in libpq.
  if (rootCert !== null && rootCert !== 'system') ssl.ca = readPem(rootCert, 'sslrootcert');
  if ((certFile === null) !== (keyFile === null))
    throw new ConfigError('PostgreSQL sslcert and sslkey: give both or neither');
  if (certFile !== null && keyFile !== null) {
    ssl.cert = readPem(certFile, 'sslcert');
    ssl.key = readPem(keyFile, 'sslkey');
  }
  const verifyChain = mode !== 'require' || ssl.ca !== undefined;
  ssl.rejectUnauthorized = verifyChain;
  // Node checks the host name by default; verify-ca (and require with a CA) checks only the chain.
  if (mode !== 'verify-full') ssl.checkServerIdentity = () => undefined;
  return { connectionString, ssl, mode, host };
}

/** OpenSSL and Node TLS error codes (stable identifiers, not message text). */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/;

/** True when the error (or its cause) is a TLS verification or handshake failure. */
export function isTlsFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 8; depth++) {
    if (TLS_CODE.test(String((e as { code?: unknown }).code ?? ''))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
