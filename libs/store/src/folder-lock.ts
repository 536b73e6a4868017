/**
 * One process per embedded-store folder. PGlite has no locking of its own: a second
 * process opening the same folder (a `tdm import` beside `tdm up`) writes over the first
 * one's files and corrupts the database. The owner writes `<folder>.lock` with its pid,
 * host and command, created exclusively (O_EXCL), and removes it on close; a newcomer that
 * finds a live owner is refused with that owner named. A lock left by a crashed process
 * (its pid no longer runs on this host) is taken over.
 *
 * Hand-written rather than `proper-lockfile`: that library judges a lock stale by its
 * mtime, which a process would have to refresh on a timer — and PGlite blocks the
 * owner's event loop for seconds at a time, so a busy owner's lock would look stale and be
 * stolen. A pid check cannot be fooled that way, and the message can name the process.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { TdmError } from '@tdm/core';

interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** The embedded store's folder is held by another live process. */
export class StoreLockedError extends TdmError {
  readonly owner: LockOwner;
  constructor(folder: string, owner: LockOwner) {
    super(
      'TDM_ERR_STORE_LOCKED',
      `the embedded store ${folder} is in use by process ${owner.pid} (${owner.command}, since ${owner.since}); ` +
        'only one process may open it: stop that process, or go through its API with --api URL',
    );
    this.name = 'StoreLockedError';
    this.owner = owner;
  }
}

export interface FolderLock {
  release(): void;
}

function readOwner(file: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return null;
    return { pid: owner.pid, host: owner.host, command: String(owner.command), since: String(owner.since) };
  } catch {
    return null; // half-written or unreadable: treated as stale
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `folder` (its `<folder>.lock` file) or throws StoreLockedError. */
export function lockFolder(folder: string): FolderLock {
  const file = `${folder}.lock`;
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    command: ['tdm', ...process.argv.slice(2)].join(' ').slice(0, 200),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    // Another host's pid cannot be checked from here (a shared folder): never steal it.
    if (owner && (owner.host !== me.host || alive(owner.pid))) throw new StoreLockedError(folder, owner);
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new StoreLockedError(folder, readOwner(file) ?? { pid: -1, host: '?', command: '?', since: '?' });
}
