/**
 * The results service's HTTP API: `buildApp()` wires the routes to a store and returns a
 * Fastify instance that is not listening yet (the process entry calls `listen()`, tests
 * call `inject()`).
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import {
  DEFAULT_DEADLINE_POLICY,
  SETTINGS,
  gridDemand,
  loadConfig,
  type DeadlinePolicy,
  type GridDemand,
} from '@tdm/core';
import type { Store } from '@tdm/store';
import type { Logger, Metrics } from '@tdm/telemetry';
import { errorBody } from './errors.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { parseJsonBody } from './batch-body.js';
import { clientErrorHandler } from './client-errors.js';
import { hostGuard } from './host-guard.js';
import type { JsonLimits } from './json-limits.js';
import { registerRateLimit, type RateLimitOptions } from './rate-limit.js';
import { SHARED_SCHEMAS, errorResponses } from './schemas.js';
import { refuseUnknownQueryParameters } from './strict-query.js';
import { registerReportRoutes } from './routes/reports.js';
import { registerItemRoutes } from './routes/items.js';
import { registerRemovalRoutes } from './routes/removals.js';
import { registerDomainRoutes } from './routes/domains.js';
import './route-config.js';
import { registerOpsRoutes } from './routes/ops.js';
import { overdueRowSchema, registerOverdueRoutes } from './routes/overdue.js';
import { registerReportRoute } from './routes/report.js';
import { registerStatsRoutes, removalStatsGroupSchema, survivalPointSchema } from './routes/stats.js';
import { HSTS_HEADER, type CertificatePair } from './https-certificate.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerAuditRoutes } from './routes/audit.js';
import { accessControl, SECURITY_SCHEME } from './auth/access-plugin.js';

export interface BuildAppOptions {
  store: Store;
  /**
   * What the grid asks of each domain (interval, rates), for GET /v1/domains.
   * @default gridDemand() of the default configuration
   */
  gridDemand?: GridDemand;
  metrics: Metrics;
  /** The service's logger; request logs are its children. */
  logger: Logger;
  /** Clock for defaults (a report's `reportedAt`). @default () => new Date() */
  now?: () => Date;
  /** `source` of reports that name none. @default 'api' */
  defaultSource?: string;
  /** Extra readiness check (e.g. "the bus is connected"); /readyz is 503 while it is false. @default () => true */
  ready?: () => Promise<boolean> | boolean;
  /** Deadline of reports that name none (TDM_DEADLINE, TDM_DEADLINE_BY_SOURCE). @default 24 h for every source */
  deadline?: DeadlinePolicy;
  /** Words for the ranking report: the check grid and the attribution dataset(s). */
  report?: { checkGrid: string; attribution: string };
  /** Reports accepted per POST /v1/reports. @default 10000 */
  maxReportsPerRequest?: number;
  /** Bytes accepted per POST /v1/reports body. @default 33554432 (32 MiB) */
  bodyLimit?: number;
  /** Time allowed for /readyz's checks. @default 2000 */
  readyTimeoutMs?: number;
  /**
   * Serve HTTPS with this certificate and key (see loadCertificate); every answer then
   * carries Strict-Transport-Security. @default plain HTTP
   */
  https?: CertificatePair;
  /** JSON depth and string length limits. @default TDM_API_MAX_JSON_DEPTH, TDM_API_MAX_STRING_LENGTH */
  jsonLimits?: Partial<JsonLimits>;
  /** Host names answered besides localhost and IP literals. @default [] (TDM_ALLOWED_HOSTS) */
  allowedHosts?: readonly string[];
  /** Per-token rate limit on /v1. @default TDM_API_RATE_LIMIT per TDM_API_RATE_WINDOW */
  rateLimit?: RateLimitOptions;
  /** Limits of the HTTP server itself (they matter once listening). @default the TDM_API_* settings */
  server?: Partial<ServerLimits>;
  /**
   * Access control (docs/security.md). Without it every /v1 route wants a token from the
   * store. `enabled: false` is TDM_AUTH=off: the caller must only do that on loopback.
   */
  auth?: AuthOptions;
}

export interface AuthOptions {
  /** @default true */
  enabled?: boolean;
  /** An operator-chosen admin token (TDM_ADMIN_TOKEN), accepted besides the store's tokens. */
  adminToken?: string;
  /** When set, /metrics wants `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
}

/** What a connection may hold or take before the server gives up on it. */
export interface ServerLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/** The defaults of every limit: the SETTINGS table's (one definition). */
const DEFAULTS = loadConfig({ env: {} });

const QUIET_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

export const DEFAULT_MAX_REPORTS_PER_REQUEST = 10_000;
export const DEFAULT_BODY_LIMIT = DEFAULTS.apiBodyLimit;

/** Builds the API (routes, schemas, error mapping, OpenAPI document at /openapi.json). */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const server: ServerLimits = {
    maxHeaderBytes: DEFAULTS.apiMaxHeaderBytes,
    headersTimeoutMs: DEFAULTS.apiHeadersTimeoutMs,
    requestTimeoutMs: DEFAULTS.apiRequestTimeoutMs,
    keepAliveTimeoutMs: DEFAULTS.apiKeepAliveTimeoutMs,
    idleTimeoutMs: DEFAULTS.apiIdleTimeoutMs,
    maxConnections: DEFAULTS.apiMaxConnections,
    ...options.server,
  };
  const jsonLimits: JsonLimits = {
    maxDepth: DEFAULTS.apiMaxJsonDepth,
    maxStringLength: DEFAULTS.apiMaxStringLength,
    ...options.jsonLimits,
  };
  const httpLimits = {
    maxHeaderSize: server.maxHeaderBytes,
    headersTimeout: server.headersTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, server.headersTimeoutMs),
  };
  const app = Fastify({
    loggerInstance: options.logger,
    // Node enforces the headers and request timeouts only when it looks, every
    // connectionsCheckingInterval (30 s by default): look every second at most.
    // Both timeouts go to the constructor too: Node sets up its connection checks from them.
    // Fastify hands `https` (not `http`) to the server it makes when serving TLS, so the
    // same limits go into the HTTPS options as well.
    http: httpLimits,
    ...(options.https ? { https: { ...httpLimits, cert: options.https.cert, key: options.https.key } } : {}),
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    connectionTimeout: server.idleTimeoutMs,
    clientErrorHandler,
    // Bodies of other routes are tiny; the reports route raises its own limit.
    bodyLimit: 1024 * 1024,
    // Probes and scrapes every few seconds would drown the request log.
    logController: new LogController({
      disableRequestLogging: (request: { url?: string }) =>
        QUIET_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
    }),
    // Errors raised before routing (a malformed URL) get our body too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send(errorBody('TDM_ERR_BAD_REQUEST', error.message));
    },
  }) as unknown as FastifyInstance;

  app.server.maxConnections = server.maxConnections;
  // Only the types in body-types.ts are parsed; Fastify's default text/plain parser would
  // hand a route a string, answered 400 "not an array" instead of 415.
  app.removeContentTypeParser('text/plain');

  if (options.https) {
    // Tells browsers to come back over HTTPS only; harmless for API clients.
    app.addHook('onSend', async (_request, reply) => {
      void reply.header('strict-transport-security', HSTS_HEADER);
    });
  }

  const now = options.now ?? (() => new Date());
  app.setErrorHandler(errorHandler);
  refuseUnknownQueryParameters(app);
  app.setNotFoundHandler(notFoundHandler);
  // Before everything else: a rebinding page must not even spend a token's rate budget.
  app.addHook('onRequest', hostGuard(options.allowedHosts ?? DEFAULTS.allowedHosts));
  await registerRateLimit(
    app,
    options.rateLimit ?? { max: DEFAULTS.apiRateLimit, windowMs: DEFAULTS.apiRateWindowMs },
  );
  // JSON under the depth and string limits; a batch's bad elements are rejected alone.
  const secureJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(
        null,
        parseJsonBody(body as string, jsonLimits, (text) => {
          let parsed: unknown;
          // Synchronous: it calls back before it returns.
          void secureJson(request, text, (error, value) => {
            if (error) throw error;
            parsed = value;
          });
          return parsed;
        }),
      );
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  for (const schema of [...SHARED_SCHEMAS, overdueRowSchema, removalStatsGroupSchema, survivalPointSchema])
    app.addSchema(schema);

  // Before swagger and the routes: its onRoute hook refuses a /v1 route without a scope
  // and writes each route's scope into the OpenAPI operation.
  await app.register(accessControl, {
    store: options.store,
    metrics: options.metrics,
    now,
    enabled: options.auth?.enabled ?? true,
    ...(options.auth?.adminToken ? { adminToken: options.auth.adminToken } : {}),
    ...(options.auth?.metricsToken ? { metricsToken: options.auth.metricsToken } : {}),
  });

  await app.register(swagger, {
    // Shared schemas keep their $id as the component name (Report, Item, …), not def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Takedown Monitor results API',
        version: '1',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
        description:
          'Reports in, removal timestamps out. Every error response is `{error: {code, message}}` with a stable ' +
          '`TDM_ERR_*` code; docs/api.md lists them all. Every `/v1` route needs `Authorization: Bearer <token>` ' +
          'with the scope named in its `x-tdm-scope` (docs/security.md).',
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer' },
        },
      },
      // The address is the operator's (TDM_LISTEN), so the document names it as a variable.
      servers: [
        {
          url: 'http://{listen}',
          description: 'The results service, at its TDM_LISTEN address.',
          variables: {
            listen: { default: SETTINGS.listen.default, description: 'host:port (TDM_LISTEN)' },
          },
        },
      ],
      // Every operation needs a bearer token unless it says `security: []` (probes, metrics, this document).
      security: [{ [SECURITY_SCHEME]: [] }],
      tags: [
        { name: 'reports', description: 'Submitting reports' },
        { name: 'items', description: 'Tracked URLs and their checks' },
        { name: 'removals', description: 'Removal timestamps for analysis' },
        { name: 'statistics', description: 'Removal statistics, survival curves and the ranking report' },
        { name: 'access', description: 'API tokens and the audit log (admin)' },
        { name: 'operations', description: 'Metrics, health, readiness, this document' },
      ],
    },
  });

  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  registerReportRoutes(app, {
    store: options.store,
    metrics: options.metrics,
    now,
    defaultSource: options.defaultSource ?? 'api',
    deadline: options.deadline ?? DEFAULT_DEADLINE_POLICY,
    maxReportsPerRequest: options.maxReportsPerRequest ?? DEFAULT_MAX_REPORTS_PER_REQUEST,
    bodyLimit,
    jsonLimits,
  });
  registerItemRoutes(app, options.store);
  registerRemovalRoutes(app, options.store);
  registerDomainRoutes(app, options.store, options.gridDemand ?? gridDemand(loadConfig({ env: {} })));
  registerOverdueRoutes(app, options.store, now);
  registerStatsRoutes(app, options.store, now);
  registerReportRoute(app, options.store, now, {
    deadlineMs: options.deadline?.defaultMs ?? DEFAULT_DEADLINE_POLICY.defaultMs,
    checkGrid: options.report?.checkGrid ?? 'on the configured grid',
    attribution: options.report?.attribution ?? 'none configured',
  });
  registerTokenRoutes(app, options.store, now);
  registerAuditRoutes(app, options.store);
  registerOpsRoutes(app, {
    store: options.store,
    metrics: options.metrics,
    ready: options.ready ?? (() => true),
    readyTimeoutMs: options.readyTimeoutMs ?? 2000,
  });

  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3 document',
        operationId: 'getOpenApiDocument',
        tags: ['operations'],
        security: [],
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(400) },
      },
    },
    async () => app.swagger(),
  );

  await app.ready();
  return app;
}
