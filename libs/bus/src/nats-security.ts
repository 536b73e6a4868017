/**
 * Credentials and TLS of the NATS connection, turned into nats.js connect options once,
 * and the connect failures that come of them turned into typed errors that name NATS and
 * never quote a secret.
 */
import { readFileSync } from 'node:fs';
import {
  AuthorizationError,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type TlsOptions,
} from '@nats-io/transport-node';
import { ConfigError } from '@tdm/core';
import { BusConnectError } from './errors.js';

/**
 * How a service proves who it is to NATS. At most one of user/password, token, NKey seed
 * file and `.creds` file (a user JWT and its seed, as `nsc` writes it).
 */
export interface NatsCredentials {
  user?: string;
  password?: string;
  token?: string;
  /** File holding an NKey seed (`SU…`). */
  nkeySeedFile?: string;
  /** A `.creds` file (decentralised JWT auth). */
  credsFile?: string;
}

/** TLS to NATS: any field set turns TLS on (the server's certificate is verified). */
export interface NatsTls {
  /** CA bundle (PEM) that signs the server's certificate; default: Node's CA store. */
  caFile?: string;
  /** Client certificate and key (PEM), for servers that verify clients (`verify: true`). */
  certFile?: string;
  keyFile?: string;
}

export interface NatsSecurity {
  credentials?: NatsCredentials;
  tls?: NatsTls;
  /**
   * Prefix of this connection's reply subjects (default `_INBOX`). Per-service
   * permissions allow each service to subscribe to its own prefix only, so one service
   * cannot read the replies (pulled messages, API answers) meant for another.
   */
  inboxPrefix?: string;
}

function readSecretFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`NATS ${what} file ${path}: cannot read it (${code})`, { cause: error });
  }
}

/** The nats.js options for these credentials and TLS settings. */
export function natsConnectOptions(security: NatsSecurity = {}): Partial<ConnectionOptions> {
  const c = security.credentials ?? {};
  const kinds = [
    c.user !== undefined || c.password !== undefined,
    c.token !== undefined,
    c.nkeySeedFile !== undefined,
    c.credsFile !== undefined,
  ].filter(Boolean).length;
  if (kinds > 1) {
    throw new ConfigError(
      'NATS credentials: give one of user/password, token, NKey seed file or .creds file, not several',
    );
  }
  if ((c.user === undefined) !== (c.password === undefined)) {
    throw new ConfigError('NATS credentials: a user needs a password and a password a user');
  }
  const options: Partial<ConnectionOptions> = {};
  if (c.user !== undefined && c.password !== undefined) {
    options.user = c.user;
    options.pass = c.password;
  }
  if (c.token !== undefined) options.token = c.token;
  if (c.nkeySeedFile !== undefined) {
    const seed = new TextDecoder().decode(readSecretFile(c.nkeySeedFile, 'NKey seed')).trim();
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (c.credsFile !== undefined) {
    options.authenticator = credsAuthenticator(readSecretFile(c.credsFile, 'credentials'));
  }
  const t = security.tls;
  if (t !== undefined && (t.caFile !== undefined || t.certFile !== undefined || t.keyFile !== undefined)) {
    if ((t.certFile === undefined) !== (t.keyFile === undefined)) {
      throw new ConfigError('NATS TLS: a client certificate needs its key and a key its certificate');
    }
    const tls: TlsOptions = {};
    // Read here, so that a missing file is a clear ConfigError before any connect attempt.
    if (t.caFile !== undefined) tls.ca = new TextDecoder().decode(readSecretFile(t.caFile, 'TLS CA'));
    if (t.certFile !== undefined)
      tls.cert = new TextDecoder().decode(readSecretFile(t.certFile, 'TLS certificate'));
    if (t.keyFile !== undefined) tls.key = new TextDecoder().decode(readSecretFile(t.keyFile, 'TLS key'));
    options.tls = tls;
  }
  if (security.inboxPrefix !== undefined) options.inboxPrefix = security.inboxPrefix;
  return options;
}

/** Who we tried to be, for error messages: the user name or the kind of credential, never a secret. */
function identity(c: NatsCredentials = {}): string {
  if (c.user !== undefined) return `user "${c.user}"`;
  if (c.token !== undefined) return 'a token';
  if (c.nkeySeedFile !== undefined) return 'an NKey';
  if (c.credsFile !== undefined) return `the credentials in ${c.credsFile}`;
  return 'no credentials';
}

/** The error and its causes, outermost first (nats.js wraps socket errors). */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && out.length < 8; e = (e as { cause?: unknown }).cause) {
    out.push(e);
  }
  return out;
}

/** OpenSSL and Node TLS error codes (stable identifiers, not message text). */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/;

/**
 * A failed first connect as a BusConnectError naming NATS and the servers. nats.js
 * messages do not contain the password; we never add it.
 */
export function connectFailure(
  error: unknown,
  servers: string[],
  security: NatsSecurity = {},
): BusConnectError {
  const message = error instanceof Error ? error.message : String(error);
  const where = servers.map((s) => s.replace(/\/\/[^@/]*@/, '//')).join(', ');
  const causes = chain(error);
  if (causes.some((e) => e instanceof AuthorizationError)) {
    return new BusConnectError(
      'TDM_ERR_NATS_AUTH',
      `NATS at ${where} refused ${identity(security.credentials)}: ${message} (check NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY or NATS_CREDS)`,
      { cause: error },
    );
  }
  const tls = causes.find((e) => TLS_CODE.test(String((e as { code?: unknown }).code ?? '')));
  if (tls !== undefined) {
    const detail = tls instanceof Error ? tls.message : message;
    return new BusConnectError(
      'TDM_ERR_NATS_TLS',
      `NATS at ${where}: TLS failed: ${detail} (check NATS_CA, NATS_CERT, NATS_KEY)`,
      { cause: error },
    );
  }
  return new BusConnectError('TDM_ERR_NATS_CONNECT', `cannot connect to NATS at ${where}: ${message}`, {
    cause: error,
  });
}
