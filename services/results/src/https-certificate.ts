/**
 * HTTPS for the API: the certificate and key files (TDM_TLS_CERT, TDM_TLS_KEY), read and
 * checked at start, and watched afterwards so that a renewed certificate (cert-manager
 * rewriting a Secret, certbot renewing a file) is served without a restart. The files are
 * polled (`fs.watchFile`, a stat per interval) rather than watched with inotify, because a
 * Kubernetes Secret volume swaps a symlink, which inotify on the file does not see.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '@tdm/core';

export interface CertificateFilesOptions {
  certFile: string;
  keyFile: string;
}

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
}

/** HSTS once the API is served over HTTPS: one year, as browsers' preload lists expect. */
export const HSTS_HEADER = 'max-age=31536000; includeSubDomains';

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${what} ${file}: cannot read it (${code})`, { cause: error });
  }
}

/** Reads the pair and checks that TLS accepts it (the key matches the certificate). */
export function loadCertificate(files: CertificateFilesOptions): CertificatePair {
  const pair = { cert: read(files.certFile, 'TDM_TLS_CERT'), key: read(files.keyFile, 'TDM_TLS_KEY') };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new ConfigError(
      `TDM_TLS_CERT/TDM_TLS_KEY (${files.certFile}, ${files.keyFile}): not a usable certificate and key: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return pair;
}

export interface CertificateWatch {
  stop(): void;
}

/**
 * Polls both files every `intervalMs`; when either changed, reads the pair again and
 * hands it to `apply` (e.g. `server.setSecureContext`). A pair that does not load (the
 * certificate written before its key) is reported to `onError` and the old one kept;
 * the next change tries again.
 */
export function watchCertificate(
  files: CertificateFilesOptions,
  apply: (pair: SecureContextOptions) => void,
  options: { intervalMs?: number; onReload?: () => void; onError?: (error: unknown) => void } = {},
): CertificateWatch {
  const interval = options.intervalMs ?? 10_000;
  const changed = (current: Stats, previous: Stats): void => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.size === previous.size &&
      current.ino === previous.ino
    )
      return;
    try {
      apply(loadCertificate(files));
      options.onReload?.();
    } catch (error) {
      options.onError?.(error);
    }
  };
  watchFile(files.certFile, { interval, persistent: false }, changed);
  watchFile(files.keyFile, { interval, persistent: false }, changed);
  return {
    stop() {
      unwatchFile(files.certFile, changed);
      unwatchFile(files.keyFile, changed);
    },
  };
}
