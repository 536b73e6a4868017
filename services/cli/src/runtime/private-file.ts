/** Files only the owner may read: a secret written 0600 into a folder made 0700. */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes `content` to `file` with mode 0600, replacing it atomically (a reader never sees
 * half a secret); creates the folder 0700 when missing and narrows it to 0700 if it is
 * wider (the data folder also holds the store, whose files hold URLs).
 */
export function writePrivateFile(file: string, content: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600); // the mode passed to open() is narrowed by the umask, never widened: be sure
  renameSync(temporary, file);
}
