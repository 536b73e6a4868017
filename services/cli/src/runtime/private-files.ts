/**
 * The data folder holds the list of URLs (the embedded store's tables and WAL, JetStream's
 * check jobs): nobody but the service's user may read it. PGlite creates its files 0666
 * and nats-server 0640 under the default umask, so the process runs with umask 077 (the
 * child nats-server inherits it) and the folder itself is 0700.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, SETTINGS } from '@tdm/core';

/** Files created from now on are the user's alone. */
export const PRIVATE_UMASK = 0o077;

/** Sets umask 077 and creates (or tightens) the data folder to 0700. */
export function makeDataDirPrivate(dataDir: string): void {
  process.umask(PRIVATE_UMASK);
  const folder = path.resolve(dataDir);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    // The first place the data folder is made: a setting to fix, not a stack trace.
    throw new ConfigError(`${SETTINGS.dataDir.env}: cannot create ${folder}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // An existing folder keeps its mode under mkdir: tighten it too.
  chmodSync(folder, 0o700);
}

/**
 * Takes group and other bits off everything under `dir`. PGlite sets the modes of the
 * files it unpacks at its first start itself (0666, not through the umask), so the store
 * folder is tightened once it is open; the files it creates later follow the umask.
 */
export function tightenTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const mode = lstatSync(full).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(full, mode & 0o700);
    if (entry.isDirectory()) tightenTree(full);
  }
}
