/**
 * The built `tdm` as real child processes, as an operator runs it: one command to its
 * exit, one long-running service, `tdm up` on a temporary data folder, or a cluster of
 * separate services (migrate, results, crawlers, then a scheduler) on a given NATS and
 * PostgreSQL. Every start first checks that the build is not stale.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertBuildIsFresh, REPO_ROOT } from './build-freshness.js';
import { startNatsServer, type NatsServerHandle } from './nats-server.js';
import { freePort } from './ports.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { waitFor } from './wait-for.js';

export const TDM_MAIN = path.join(REPO_ROOT, 'services/cli/dist/main.js');

/** Services log at `warn` unless a test asks for more. */
function tdmEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, TDM_LOG_LEVEL: 'warn', ...env };
}

export interface TdmProcess {
  child: ChildProcess;
  /** The tail of its stderr and stdout, for failure messages. */
  output(): string;
  /** SIGTERM and wait (clean stop). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
}

/** Starts `tdm <args>` in the background. */
export function startTdm(args: string[], env: Record<string, string>): TdmProcess {
  assertBuildIsFresh();
  const child = spawn(process.execPath, [TDM_MAIN, ...args], {
    env: tdmEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { child, output: () => tail, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

export interface TdmRun {
  code: number;
  stdout: string;
  stderr: string;
}

const execFileAsync = promisify(execFile);

/** Runs `tdm <args>` to its exit (killed after `timeoutMs`) and returns its exit code and output. */
export async function runTdm(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<TdmRun> {
  assertBuildIsFresh();
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [TDM_MAIN, ...args], {
      env: tdmEnv(env),
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as TdmRun;
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

/** Polls `url` until it answers 200; fails early, with the process output, if the process exits. */
export async function waitForHttp(url: string, proc: TdmProcess, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null)
        throw new Error(`process exited (${proc.child.exitCode}):\n${proc.output()}`);
      try {
        return (await fetch(url)).ok;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs, intervalMs: 100, what: () => `${url} to answer 200:\n${proc.output()}` },
  );
}

/** GET `url` and parse its JSON body. */
export async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** POSTs reports to `<api>/v1/reports` as a JSON array; throws unless it answers 200. */
export async function submitReports(api: string, reports: unknown[]): Promise<Array<{ itemId: number }>> {
  const response = await fetch(`${api}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reports),
  });
  if (response.status !== 200)
    throw new Error(`POST /v1/reports: ${response.status} ${await response.text()}`);
  return (await response.json()) as Array<{ itemId: number }>;
}

export interface TdmUp {
  proc: TdmProcess;
  /** `http://127.0.0.1:<port>`, where the API listens. */
  api: string;
  dataDir: string;
  /** Stops it (SIGTERM, if still running) and removes its data folder. */
  close(): Promise<void>;
}

/**
 * `tdm up` on the embedded default (nats-server child and PGlite in a temporary data
 * folder), its API on a free loopback port; resolves once /readyz answers.
 */
export async function startTdmUp(env: Record<string, string>): Promise<TdmUp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tdm-up-'));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const proc = startTdm(['up'], {
    TDM_DATA_DIR: dataDir,
    NATS_URL: '',
    DATABASE_URL: '',
    TDM_LISTEN: `127.0.0.1:${port}`,
    ...env,
  });
  const close = async (): Promise<void> => {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${api}/readyz`, proc, 60_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { proc, api, dataDir, close };
}

export interface TdmClusterOptions {
  /** Names the cluster's PostgreSQL test database. */
  databasePrefix: string;
  /** Settings for every service (NATS_URL, DATABASE_URL and TDM_LISTEN are set here). */
  env: Record<string, string>;
  /** How many `tdm crawler` processes. @default 1 */
  crawlers?: number;
  /** Extra settings of crawler `i` (1-based), e.g. its TDM_WORKER_ID. */
  crawlerEnv?: (i: number) => Record<string, string>;
}

export interface TdmCluster {
  /** `http://127.0.0.1:<port>`, the results service's API. */
  readonly api: string;
  /** Its own nats-server. */
  readonly nats: NatsServerHandle;
  /** Its own PostgreSQL database (dropped by stop). */
  readonly database: TestDatabase;
  /** The settings every service got. */
  readonly env: Record<string, string>;
  /** The running results service (replaced by restartResults). */
  readonly results: TdmProcess;
  readonly crawlers: readonly TdmProcess[];
  readonly scheduler: TdmProcess | undefined;
  /** Starts a new results service (after a kill) and waits until it is ready. */
  restartResults(): Promise<void>;
  /** Starts the scheduler (its metrics on a free port) without waiting for it. */
  startScheduler(): Promise<TdmProcess>;
  /** Stops every process it started (SIGTERM, in start order), its nats-server, and drops the database. */
  stop(): Promise<void>;
}

/**
 * A cluster of separate services as in production, on a nats-server and a PostgreSQL
 * database of its own: migrates, then starts the results service and the crawlers, each
 * waited for on its /readyz. The scheduler is left to the test (startScheduler), which
 * decides when checks begin.
 */
export async function startTdmCluster(options: TdmClusterOptions): Promise<TdmCluster> {
  const nats = await startNatsServer();
  const database = await createTestDatabase(options.databasePrefix).catch(async (error: unknown) => {
    await nats.stop();
    throw error;
  });
  const started: TdmProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const proc of started) await proc.stop();
    await nats.stop();
    await database.drop();
  };
  try {
    return await startServices(options, nats, database, started, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startServices(
  options: TdmClusterOptions,
  nats: NatsServerHandle,
  database: TestDatabase,
  started: TdmProcess[],
  stop: () => Promise<void>,
): Promise<TdmCluster> {
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    DATABASE_URL: database.url,
    TDM_LISTEN: `127.0.0.1:${apiPort}`,
    ...options.env,
  };
  const migrate = await runTdm(['migrate'], env);
  if (migrate.code !== 0) throw new Error(`tdm migrate exited ${migrate.code}:\n${migrate.stderr}`);

  const startReady = async (
    args: string[],
    serviceEnv: Record<string, string>,
    readyz: string,
  ): Promise<TdmProcess> => {
    const proc = startTdm(args, serviceEnv);
    started.push(proc);
    await waitForHttp(readyz, proc);
    return proc;
  };
  /** A service's settings with its metrics (and /readyz) on a free port. */
  const withMetrics = async (extra: Record<string, string> = {}) => {
    const port = await freePort();
    return {
      env: { ...env, TDM_METRICS_LISTEN: `127.0.0.1:${port}`, ...extra },
      readyz: `http://127.0.0.1:${port}/readyz`,
    };
  };

  let results = await startReady(['results'], env, `${api}/readyz`);
  const crawlers: TdmProcess[] = [];
  for (let i = 1; i <= (options.crawlers ?? 1); i++) {
    const crawler = await withMetrics(options.crawlerEnv?.(i));
    crawlers.push(await startReady(['crawler'], crawler.env, crawler.readyz));
  }
  let scheduler: TdmProcess | undefined;
  return {
    api,
    nats,
    database,
    env,
    get results() {
      return results;
    },
    crawlers,
    get scheduler() {
      return scheduler;
    },
    async restartResults() {
      results = await startReady(['results'], env, `${api}/readyz`);
    },
    async startScheduler() {
      const { env: schedulerEnv } = await withMetrics();
      scheduler = startTdm(['scheduler'], schedulerEnv);
      started.push(scheduler);
      return scheduler;
    },
    stop,
  };
}
