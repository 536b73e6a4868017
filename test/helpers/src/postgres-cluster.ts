/**
 * A throw-away PostgreSQL cluster for tests that need a server of their own (TLS
 * settings, a server to stop): `initdb` into a temporary folder, started with `pg_ctl`
 * on a free loopback port, removed by `stop()`. The server refuses to run as root, so
 * when the tests run as root, each PostgreSQL program runs as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Where Debian's postgresql-15 puts its programs (override with TEST_PG_BIN). */
export function postgresBinDir(): string {
  return process.env['TEST_PG_BIN'] || '/usr/lib/postgresql/15/bin';
}

export interface PostgresClusterOptions {
  /** Serve TLS with this certificate and key (`ssl = on`). */
  tls?: { certFile: string; keyFile: string };
  /** Extra postgresql.conf lines. */
  settings?: string[];
  /** How long pg_ctl waits for start-up (default 60 s). */
  startTimeoutMs?: number;
}

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (fast shutdown) and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

async function postgresIds(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/** Runs a PostgreSQL program as the postgres user when we are root. */
async function runPg(program: string, args: string[], asPostgres: boolean, timeoutMs: number): Promise<void> {
  const file = path.join(postgresBinDir(), program);
  try {
    if (asPostgres) await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: timeoutMs });
    else await run(file, args, { timeout: timeoutMs });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${program} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: error });
  }
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const ids = await postgresIds();
  const root = await mkdtemp(path.join(tmpdir(), 'tdm-pg-'));
  const dataDir = path.join(root, 'data');
  if (ids) await chown(root, ids.uid, ids.gid);
  const timeout = options.startTimeoutMs ?? 60_000;
  await runPg(
    'initdb',
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'],
    ids !== null,
    timeout,
  );
  const port = await freePort();
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${root}'`,
    'fsync = off',
    ...(options.settings ?? []),
  ];
  if (options.tls) {
    // The server wants its key private to it: copied in, owned by postgres, 0600.
    const cert = path.join(dataDir, 'server.crt');
    const key = path.join(dataDir, 'server.key');
    await copyFile(options.tls.certFile, cert);
    await copyFile(options.tls.keyFile, key);
    await chmod(key, 0o600);
    if (ids) {
      await chown(cert, ids.uid, ids.gid);
      await chown(key, ids.uid, ids.gid);
    }
    conf.push('ssl = on', `ssl_cert_file = '${cert}'`, `ssl_key_file = '${key}'`);
  }
  const autoConf = path.join(dataDir, 'postgresql.auto.conf');
  await writeFile(autoConf, conf.join('\n') + '\n');
  if (ids) await chown(autoConf, ids.uid, ids.gid);
  const log = path.join(root, 'server.log');
  await runPg(
    'pg_ctl',
    ['-D', dataDir, '-l', log, '-w', '-t', String(Math.ceil(timeout / 1000)), 'start'],
    ids !== null,
    timeout + 5000,
  );
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await runPg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'], ids !== null, 30_000);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
