/** The long-running commands: `up` (all in one process) and one command per service. */
import { existsSync } from 'node:fs';
import { adminTokenPath } from '../access/admin-token.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { startHealthServer } from '../runtime/health-server.js';
import { createRuntime } from '../runtime/runtime.js';
import { ConfigError, SETTINGS, isMode, MODES, type Mode } from '@tdm/core';
import {
  chromiumAvailable,
  connectConfiguredBus,
  connectServiceBus,
  natsEndpoint,
  openConfiguredStore,
  type Runtime,
  startCrawlerService,
  startResultsService,
  startSchedulerService,
} from '../runtime/services.js';

function crawlerCount(value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new UsageError(`--crawlers must be 1..64, got "${String(value)}"`);
  return count;
}

function crawlerMode(value: string | boolean | undefined): Mode {
  if (value === undefined) return 'http';
  if (isMode(value)) return value;
  throw new UsageError(`--mode must be ${MODES.join(' or ')}, got "${String(value)}"`);
}

/**
 * Starts a long-running service and keeps it up until SIGINT/SIGTERM. If starting fails
 * half-way, what did start is stopped before the error goes to the user, so no child
 * process (nats-server) or open port is left behind.
 */
async function serveUntilSignal(rt: Runtime, start: () => Promise<void>): Promise<number> {
  try {
    await start();
  } catch (error) {
    await rt.lifecycle.stop();
    throw error;
  }
  await rt.lifecycle.untilSignal();
  return 0;
}

export const upCommand: Command = {
  name: 'up',
  summary: 'run scheduler, crawler(s) and results service in one process',
  help: `Usage: tdm up [--crawlers N]

Runs everything on one machine. Uses NATS_URL when set, otherwise starts nats-server
as a child process (JetStream under <TDM_DATA_DIR>/nats); uses DATABASE_URL when set,
otherwise the embedded PostgreSQL (PGlite) under <TDM_DATA_DIR>/pglite. The API listens
on TDM_LISTEN. Stops cleanly on SIGINT/SIGTERM.

Options:
  --crawlers N   crawler workers in this process (default TDM_CRAWLERS)
  --config FILE  JSON configuration file

Also starts one browser crawler (mode "browser" reports, Chromium at TDM_CHROMIUM_PATH)
when that executable exists; otherwise logs a warning and browser checks wait in the queue.`,
  options: { crawlers: { type: 'string' } },
  async run({ values, stdout }) {
    const rt = createRuntime('tdm');
    const crawlers = crawlerCount(values['crawlers'], rt.config.crawlers);
    return await serveUntilSignal(rt, async () => {
      const store = await openConfiguredStore(rt);
      // One connection per service, each as its own NATS user, as on Kubernetes.
      const nats = await natsEndpoint(rt, true);
      const resultsBus = await connectServiceBus(rt, nats, 'results');
      const schedulerBus = await connectServiceBus(rt, nats, 'scheduler');
      const crawlerBus = await connectServiceBus(rt, nats, 'crawler');
      const results = await startResultsService(rt, store, resultsBus);
      await startSchedulerService(rt, store, schedulerBus);
      for (let index = 0; index < crawlers; index++) startCrawlerService(rt, crawlerBus, index);
      if (chromiumAvailable(rt.config)) {
        startCrawlerService(rt, crawlerBus, 0, 'browser');
      } else {
        rt.logger.warn(
          { chromiumPath: rt.config.chromiumPath },
          'Chromium not found: no browser crawler started; mode "browser" checks wait until one runs (set TDM_CHROMIUM_PATH)',
        );
      }
      stdout.write(`tdm up: API on ${results.baseUrl} (store: ${store.kind}); Ctrl-C to stop\n`);
      const tokenFile = adminTokenPath(rt.config);
      if (results.adminTokenFile !== null) {
        stdout.write(
          `tdm up: created the first admin token in ${tokenFile} (mode 0600; the token is not printed)\n`,
        );
      }
      if (rt.config.auth && existsSync(tokenFile)) {
        stdout.write(
          `tdm up: try  curl -H "Authorization: Bearer $(cat ${tokenFile})" ${results.baseUrl}/v1/removals?format=csv\n`,
        );
      }
    });
  },
};

export const resultsCommand: Command = {
  name: 'results',
  summary: 'run the results service: applies check results, serves the API',
  help: `Usage: tdm results

Consumes check results from NATS (NATS_URL, required), applies them to the items'
state machine in the database (DATABASE_URL, or the embedded store) and serves the
HTTP API, /metrics, /healthz and /readyz on TDM_LISTEN.`,
  options: {},
  async run() {
    const rt = createRuntime('results');
    return await serveUntilSignal(rt, async () => {
      const store = await openConfiguredStore(rt);
      const bus = await connectConfiguredBus(rt, 'results');
      await startResultsService(rt, store, bus);
    });
  },
};

export const schedulerCommand: Command = {
  name: 'scheduler',
  summary: 'run the scheduler: publishes due checks to NATS JetStream',
  help: `Usage: tdm scheduler

Claims due items from the database (FOR UPDATE SKIP LOCKED: several schedulers may run)
and publishes their check jobs on a fixed grid. Needs NATS_URL and DATABASE_URL.
/metrics, /healthz and /readyz on TDM_METRICS_LISTEN.`,
  options: {},
  async run() {
    const rt = createRuntime('scheduler');
    return await serveUntilSignal(rt, async () => {
      const store = await openConfiguredStore(rt);
      const bus = await connectConfiguredBus(rt, 'scheduler');
      await startSchedulerService(rt, store, bus);
      // Ready only with both links up: a scheduler cut off from NATS publishes nothing.
      const health = await startHealthServer(rt.config.metricsListen, rt.metrics, async () => {
        await store.ping();
        return bus.connected;
      });
      rt.lifecycle.add('health', () => health.close());
    });
  },
};

export const crawlerCommand: Command = {
  name: 'crawler',
  summary: 'run a crawler worker: probes due checks, publishes results',
  help: `Usage: tdm crawler [--mode http|browser] [--crawlers N]

Pulls check jobs from NATS (NATS_URL, required), probes each URL under the network
policy and the politeness limits, publishes the result, then acknowledges the job.
/metrics, /healthz and /readyz on TDM_METRICS_LISTEN.

Options:
  --mode M       http (default) or browser: which checks to take. A browser crawler
                 loads pages in Chromium (TDM_CHROMIUM_PATH), a few pages at a time
  --crawlers N   workers in this process (default 1)`,
  options: { crawlers: { type: 'string' }, mode: { type: 'string' } },
  async run({ values }) {
    const mode = crawlerMode(values['mode']);
    const rt = createRuntime('crawler');
    const crawlers = crawlerCount(values['crawlers'], 1);
    if (mode === 'browser' && !chromiumAvailable(rt.config)) {
      // A setting to fix, not wrong usage: exit 1 without the usage text.
      throw new ConfigError(
        `Chromium not found at ${rt.config.chromiumPath}: --mode browser needs it (set ${SETTINGS.chromiumPath.env})`,
      );
    }
    return await serveUntilSignal(rt, async () => {
      const bus = await connectConfiguredBus(rt, 'crawler');
      for (let index = 0; index < crawlers; index++) startCrawlerService(rt, bus, index, mode);
      const health = await startHealthServer(rt.config.metricsListen, rt.metrics, () => bus.connected);
      rt.lifecycle.add('health', () => health.close());
    });
  },
};
