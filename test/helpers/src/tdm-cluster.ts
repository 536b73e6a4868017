/** A tdm cluster of separate service processes, on a nats-server and a database of its own. */
import { startNatsServer, type NatsServerHandle } from './nats-server.js';
import { freePort } from './ports.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { runTdm, startTdm, waitForHttp, type TdmProcess } from './tdm-process.js';

export interface TdmClusterOptions {
  /** Names the cluster's PostgreSQL test database. */
  databasePrefix: string;
  /** The PostgreSQL server to create it on (e.g. a startPostgresCluster's url). @default the shared test server */
  databaseServerUrl?: string;
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
  const database = await createTestDatabase(options.databasePrefix, options.databaseServerUrl).catch(
    async (error: unknown) => {
      await nats.stop();
      throw error;
    },
  );
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
