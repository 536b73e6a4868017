/**
 * Wiring: builds each service from the configuration. `tdm up` calls all of them in one
 * process (sharing one store, one bus connection and one metrics registry); `tdm
 * scheduler|crawler|results` call one each, as on Kubernetes.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Server as TlsServer } from 'node:tls';
import path from 'node:path';
import { compileDeadlinePolicy, ConfigError, SETTINGS, gridDemand, type Config, type Mode } from '@tdm/core';
import {
  connectBus,
  createJobTickets,
  inboxPrefix,
  JOB_TICKET_KEY_BYTES,
  type Bus,
  type JobTickets,
  type NatsCredentials,
  type NatsSecurity,
  type NatsTls,
  type ServiceRole,
} from '@tdm/bus';
import { createCrawler } from '@tdm/crawler';
import { createPoliteness } from '@tdm/politeness';
import { createBrowserProber, createHttpProber, loadHosterDirectory } from '@tdm/probe';
import {
  buildApp,
  createResultsConsumer,
  loadCertificate,
  startAuditMaintenance,
  startCheckLogMaintenance,
  watchCertificate,
  type CertificateFilesOptions,
} from '@tdm/results';
import { bootstrapAdminToken, configuredAdminToken } from '../access/admin-token.js';
import { createScheduler } from '@tdm/scheduler';
import { openStore, type Store } from '@tdm/store';
import type { Logger, Metrics } from '@tdm/telemetry';
import { startEmbeddedNats } from './embedded-nats.js';
import type { Lifecycle } from './lifecycle.js';
import { parseListen } from './listen.js';
import { makeDataDirPrivate, tightenTree } from './private-files.js';

/** Grace time for in-flight checks at shutdown before they are handed back to the queue. */
const STOP_GRACE_MS = 10_000;

export interface Runtime {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
}

export async function openConfiguredStore(rt: Runtime): Promise<Store> {
  if (!rt.config.databaseUrl) makeDataDirPrivate(rt.config.dataDir);
  const store = await openStore({
    databaseUrl: rt.config.databaseUrl || undefined,
    dataDir: rt.config.dataDir,
    logger: rt.logger.child({ part: 'store' }),
    tls: { mode: rt.config.databaseSslMode, rootCertFile: rt.config.databaseSslRootCert },
  });
  rt.lifecycle.add('store', () => store.close());
  await store.migrate();
  if (!rt.config.databaseUrl) tightenTree(rt.config.dataDir);
  rt.logger.info({ store: store.kind }, 'store ready');
  return store;
}

/** The job tickets under the key the store keeps for scheduler and results (created on first use). */
export async function jobTickets(store: Store): Promise<JobTickets> {
  return createJobTickets(await store.serviceKey('job-ticket', JOB_TICKET_KEY_BYTES));
}

/** Where the services find NATS, and who each of them is there. */
export interface NatsEndpoint {
  servers: string[];
  security(role: ServiceRole): NatsSecurity;
}

/** The NATS credentials and TLS settings of the configuration (empty settings left out). */
export function configuredNatsSecurity(config: Config): Pick<NatsSecurity, 'credentials' | 'tls'> {
  const credentials: NatsCredentials = {};
  if (config.natsUser !== '') credentials.user = config.natsUser;
  if (config.natsPassword !== '') credentials.password = config.natsPassword;
  if (config.natsToken !== '') credentials.token = config.natsToken;
  if (config.natsNkey !== '') credentials.nkeySeedFile = config.natsNkey;
  if (config.natsCreds !== '') credentials.credsFile = config.natsCreds;
  const tls: NatsTls = {};
  if (config.natsCa !== '') tls.caFile = config.natsCa;
  if (config.natsCert !== '') tls.certFile = config.natsCert;
  if (config.natsKey !== '') tls.keyFile = config.natsKey;
  return { credentials, tls };
}

/**
 * NATS_URL with the configured credentials, or (when it is empty and allowed) the
 * embedded nats-server with a user of its own per service.
 */
export async function natsEndpoint(rt: Runtime, allowEmbedded: boolean): Promise<NatsEndpoint> {
  if (rt.config.natsUrl.length > 0) {
    const configured = configuredNatsSecurity(rt.config);
    return {
      servers: rt.config.natsUrl,
      security: (role) => ({ ...configured, inboxPrefix: inboxPrefix(role) }),
    };
  }
  if (!allowEmbedded) {
    throw new ConfigError(
      `${SETTINGS.natsUrl.env} is not set: the separate services need a NATS server (only \`tdm up\` starts one itself)`,
    );
  }
  makeDataDirPrivate(rt.config.dataDir);
  const nats = await startEmbeddedNats(rt.config.dataDir, rt.logger);
  rt.lifecycle.add('nats-server', () => nats.stop());
  return {
    servers: [nats.url],
    security: (role) => ({ credentials: nats.credentials(role), inboxPrefix: inboxPrefix(role) }),
  };
}

/**
 * One service's bus connection, as that service's NATS user. The scheduler and results
 * service create or update the streams; a crawler's user may not (it pulls from the
 * consumers they create, retrying until they exist).
 */
export async function connectServiceBus(rt: Runtime, nats: NatsEndpoint, role: ServiceRole): Promise<Bus> {
  const bus = await connectBus({
    servers: nats.servers,
    name: `tdm-${role}`,
    security: nats.security(role),
    logger: rt.logger.child({ part: 'bus', role }),
    jobAckWaitMs: rt.config.jobAckWaitMs,
    jobMaxDeliver: rt.config.jobMaxDeliver,
    resultAckWaitMs: rt.config.resultAckWaitMs,
    ensureStreams: role !== 'crawler',
    reconnectWaitMs: rt.config.natsReconnectWaitMs,
    reconnectJitterMs: rt.config.natsReconnectJitterMs,
    replicas: rt.config.streamReplicas,
  });
  rt.lifecycle.add(`bus-${role}`, () => bus.close());
  return bus;
}

/** Connects one service to NATS_URL (the separate service commands). */
export async function connectConfiguredBus(rt: Runtime, role: ServiceRole): Promise<Bus> {
  return await connectServiceBus(rt, await natsEndpoint(rt, false), role);
}

/** TDM_TLS_CERT and TDM_TLS_KEY, both or neither. */
function httpsFiles(config: Config): CertificateFilesOptions | null {
  if (config.tlsCert === '' && config.tlsKey === '') return null;
  if (config.tlsCert === '' || config.tlsKey === '')
    throw new ConfigError('TDM_TLS_CERT and TDM_TLS_KEY: give both (HTTPS) or neither (HTTP)');
  return { certFile: config.tlsCert, keyFile: config.tlsKey };
}

export interface ResultsHandle {
  /** Base URL the API listens on (the port resolved when 0 was asked for). */
  baseUrl: string;
  /** The file the first admin token was written to by this start; null when none was made. */
  adminTokenFile: string | null;
}

export async function startResultsService(rt: Runtime, store: Store, bus: Bus): Promise<ResultsHandle> {
  const logger = rt.logger.child({ service: 'results' });
  const hosters = loadHosterDirectory(rt.config.hosterFile);
  if (hosters.size > 0)
    logger.info({ ranges: hosters.size, file: rt.config.hosterFile }, 'hoster table loaded');
  const consumer = createResultsConsumer({
    bus,
    store,
    config: rt.config,
    metrics: rt.metrics,
    logger,
    tickets: await jobTickets(store),
    // Without a table, hosters stay as they are (null) rather than being "looked up" to null.
    ...(hosters.size > 0 ? { hosterOf: (ip: string) => hosters.hosterOf(ip) } : {}),
  });
  consumer.start();
  rt.lifecycle.add('results-consumer', () => consumer.stop());
  const maintenance = startCheckLogMaintenance(store, rt.config, logger);
  rt.lifecycle.add('check-log-maintenance', async () => maintenance.stop());
  const files = httpsFiles(rt.config);
  const https = files === null ? undefined : loadCertificate(files);
  const audit = startAuditMaintenance(store, rt.config.auditRetentionMs, logger);
  rt.lifecycle.add('audit-maintenance', async () => audit.stop());
  const adminToken = configuredAdminToken(rt.config);
  const adminTokenFile = await bootstrapAdminToken(rt.config, store, logger);
  const { host, port } = parseListen(rt.config.listen);
  const c = rt.config;
  const app = await buildApp({
    store,
    metrics: rt.metrics,
    logger,
    // Not ready while NATS is down: results would pile up unapplied, and /readyz must say so.
    ready: () => bus.connected,
    ...(https ? { https } : {}),
    gridDemand: gridDemand(c),
    deadline: compileDeadlinePolicy(c.deadlineMs, c.deadlineBySource),
    report: {
      checkGrid: c.schedulePolicy
        ? 'on the configured schedule policy (TDM_SCHEDULE_POLICY)'
        : `every ${c.checkIntervalMs / 1000} s`,
      attribution: c.hosterFile
        ? `the operator's hoster table (${path.basename(c.hosterFile)})`
        : 'none (no hoster table configured)',
    },
    bodyLimit: c.apiBodyLimit,
    jsonLimits: { maxDepth: c.apiMaxJsonDepth, maxStringLength: c.apiMaxStringLength },
    // The listen host is a name clients use when it is one (an IP literal is allowed anyway).
    allowedHosts: [...c.allowedHosts, host],
    rateLimit: { max: c.apiRateLimit, windowMs: c.apiRateWindowMs },
    server: {
      maxHeaderBytes: c.apiMaxHeaderBytes,
      headersTimeoutMs: c.apiHeadersTimeoutMs,
      requestTimeoutMs: c.apiRequestTimeoutMs,
      keepAliveTimeoutMs: c.apiKeepAliveTimeoutMs,
      idleTimeoutMs: c.apiIdleTimeoutMs,
      maxConnections: c.apiMaxConnections,
    },
    auth: {
      enabled: rt.config.auth,
      ...(adminToken !== undefined ? { adminToken } : {}),
      ...(rt.config.metricsToken !== '' ? { metricsToken: rt.config.metricsToken } : {}),
    },
  });
  await app.listen({ host, port });
  rt.lifecycle.add('results-api', () => app.close());
  if (files !== null) {
    const server = app.server as unknown as TlsServer;
    const watch = watchCertificate(files, (pair) => server.setSecureContext(pair), {
      onReload: () => logger.info({ certFile: files.certFile }, 'TLS certificate reloaded'),
      onError: (error) =>
        logger.error({ err: error }, 'TLS certificate not reloaded; serving the previous one'),
    });
    rt.lifecycle.add('tls-certificate-watch', async () => watch.stop());
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const baseUrl = `${files === null ? 'http' : 'https'}://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${boundPort}`;
  logger.info({ host: shownHost, port: boundPort, tls: files !== null }, 'results API listening');
  return { baseUrl, adminTokenFile };
}

export async function startSchedulerService(rt: Runtime, store: Store, bus: Bus): Promise<void> {
  const scheduler = createScheduler({
    store,
    bus,
    tickets: await jobTickets(store),
    config: rt.config,
    logger: rt.logger.child({ service: 'scheduler' }),
    metrics: rt.metrics,
  });
  const running = scheduler.run();
  rt.lifecycle.add('scheduler', async () => {
    await scheduler.stop();
    await running;
  });
}

/** True when the configured Chromium executable exists (browser crawlers need it). */
export function chromiumAvailable(config: Config): boolean {
  return config.chromiumPath !== '' && existsSync(config.chromiumPath);
}

/**
 * Starts one crawler for `mode`. An http crawler uses the HTTP prober; a browser crawler
 * uses the browser prober (its own Chromium, at most TDM_BROWSER_PAGES pages) with its
 * own politeness instance, pulling at most that many jobs at once: browser checks have
 * their own worker pool (the `tdm.checks.browser` consumer), sized by pages instead of
 * TDM_CONCURRENCY, because each page is a Chromium renderer, not a socket.
 */
export function startCrawlerService(rt: Runtime, bus: Bus, index: number, mode: Mode = 'http'): void {
  const workerId =
    rt.config.workerId || `${hostname()}-${process.pid}-${mode === 'http' ? '' : `${mode}-`}${index}`;
  const config = mode === 'browser' ? { ...rt.config, globalConcurrency: rt.config.browserPages } : rt.config;
  const prober =
    mode === 'browser'
      ? createBrowserProber({ ...rt.config, maxPages: rt.config.browserPages })
      : createHttpProber(rt.config);
  const politeness = createPoliteness(config);
  const crawler = createCrawler({
    bus,
    prober,
    politeness,
    config,
    logger: rt.logger.child({ service: 'crawler', workerId }),
    metrics: rt.metrics,
    mode,
    workerId,
  });
  const running = crawler.run();
  rt.lifecycle.add(`crawler-${mode}-${index}`, async () => {
    await crawler.stop(STOP_GRACE_MS);
    await running;
    await politeness.stop();
    await prober.close();
  });
}
