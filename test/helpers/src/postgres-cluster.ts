/**
 * A throw-away PostgreSQL server for tests that must restart or crash the database
 * itself (the shared one on 5432 is not ours to stop): `initdb` into a temp dir, started
 * with `pg_ctl` on a free loopback port, trust auth for `postgres`. The server refuses to
 * run as root, so when the tests run as root the binaries run as the `postgres` user,
 * who then owns the temp dir. With `tls` the server also serves TLS (`ssl = on`).
 */
import { execFile } from 'node:child_process';
import { appendFile, chmod, chown, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const execFileAsync = promisify(execFile);

/** Where Debian puts the server binaries; TEST_PG_BIN overrides it. */
export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresClusterOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Extra `postgresql.conf` settings, e.g. `{ max_connections: '50' }`. */
  config?: Record<string, string>;
  /** Serve TLS with this certificate and key (`ssl = on`). */
  tls?: { certFile: string; keyFile: string };
}

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** `pg_ctl restart -m <mode>` (immediate: a crash, recovery from WAL on start). */
  restart(options?: { mode?: 'smart' | 'fast' | 'immediate' }): Promise<void>;
  /** `pg_ctl stop -m <mode>` (default fast), leaving the data dir for start(). */
  stopServer(options?: { mode?: 'smart' | 'fast' | 'immediate' }): Promise<void>;
  /** `pg_ctl start` after stopServer(). */
  startServer(): Promise<void>;
  /** Stops the server (immediate) and removes the data dir; safe to call twice. */
  stop(): Promise<void>;
}

/** Runs a server binary, as `postgres` when we are root. */
async function pgRun(bin: string, args: string[]): Promise<string> {
  const file = path.join(process.env['TEST_PG_BIN'] ?? DEFAULT_PG_BIN, bin);
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    const { stdout } = await execFileAsync(command, argv, { timeout: 60_000 });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`${bin} ${args.join(' ')} failed: ${failure.stderr ?? failure.message}`, {
      cause: error,
    });
  }
}

/** Creates, configures and starts a new cluster; resolves once it accepts connections. */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const port = options.port ?? (await freePort());
  const root = await mkdtemp(path.join(tmpdir(), 'tdm-pg-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  let owner: { uid: number; gid: number } | null = null;
  if (process.getuid?.() === 0) {
    const id = async (flag: string): Promise<number> =>
      Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim());
    owner = { uid: await id('-u'), gid: await id('-g') };
    await chown(root, owner.uid, owner.gid);
  }
  await chmod(root, 0o700);
  let running = false;
  const ctl = async (args: string[]): Promise<void> => {
    await pgRun('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', ...args]);
  };
  try {
    await pgRun('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const settings: Record<string, string> = {
      listen_addresses: "'127.0.0.1'",
      port: String(port),
      unix_socket_directories: `'${root}'`,
      ...options.config,
    };
    if (options.tls) {
      // The server wants its key private to it: copied in, owned by postgres, 0600.
      const cert = path.join(dataDir, 'server.crt');
      const key = path.join(dataDir, 'server.key');
      await copyFile(options.tls.certFile, cert);
      await copyFile(options.tls.keyFile, key);
      await chmod(key, 0o600);
      if (owner) {
        await chown(cert, owner.uid, owner.gid);
        await chown(key, owner.uid, owner.gid);
      }
      Object.assign(settings, { ssl: 'on', ssl_cert_file: `'${cert}'`, ssl_key_file: `'${key}'` });
    }
    const conf = Object.entries(settings)
      .map(([key, value]) => `${key} = ${value}`)
      .join('\n');
    // postgresql.conf: the last setting of a name wins, so ours go at the end.
    await appendFile(path.join(dataDir, 'postgresql.conf'), `\n${conf}\n`);
    await ctl(['start']);
    running = true;
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  let removed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async restart({ mode = 'fast' } = {}) {
      await ctl(['restart', '-m', mode]);
      running = true;
    },
    async stopServer({ mode = 'fast' } = {}) {
      await ctl(['stop', '-m', mode]);
      running = false;
    },
    async startServer() {
      await ctl(['start']);
      running = true;
    },
    async stop() {
      if (removed) return;
      removed = true;
      if (running) await ctl(['stop', '-m', 'immediate']).catch(() => undefined);
      running = false;
      await rm(root, { recursive: true, force: true });
    },
  };
}
