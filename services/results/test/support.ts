/**
 * Shared test setup: a real store (embedded PGlite, and PostgreSQL at TEST_DATABASE_URL
 * through @tdm/test-helpers), the app built on it, and synthetic check results.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type CheckResult, type Config, type OfflineReason, type Outcome } from '@tdm/core';
import { createJobTickets, type JobTickets } from '@tdm/bus';
import { openStore, type Store } from '@tdm/store';
import { createLogger, createMetrics, type Logger, type Metrics } from '@tdm/telemetry';
import { BACKEND_NAMES, makeCheckResult, openBackendDatabase, type BackendName } from '@tdm/test-helpers';
import { buildApp, type BuildAppOptions } from '@tdm/results';

export interface Backend {
  name: BackendName;
  /** A migrated store on this backend (a fresh database for PostgreSQL). */
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

export const BACKENDS: Backend[] = BACKEND_NAMES.map((name) => ({
  name,
  async open() {
    const database = await openBackendDatabase(name, 'results');
    const store = await openStore({ databaseUrl: database.databaseUrl });
    await store.migrate();
    return {
      store,
      async cleanup() {
        await store.close();
        await database.drop();
      },
    };
  },
}));

/** The job tickets of the tests' "scheduler": results built by checkResult() carry a valid one. */
export const TEST_TICKETS: JobTickets = createJobTickets(new Uint8Array(32).fill(7));

export function silentLogger(): Logger {
  return createLogger({ service: 'results-test', level: 'silent' });
}

/** The admin token every harness app accepts (TDM_ADMIN_TOKEN in production). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

/** `Authorization` header with a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * Makes `app.inject()` send the admin token unless the request names its own
 * `authorization` header, so the route tests read as before while access control is on
 * (`Harness.anonymous` sends none).
 */
function injectWithToken(
  app: FastifyInstance,
  token: string,
): (options: InjectOptions | string) => Promise<LightMyRequestResponse> {
  const inject = app.inject.bind(app);
  return (options) => {
    const opts: InjectOptions = typeof options === 'string' ? { url: options } : options;
    const headers = (opts.headers ?? {}) as Record<string, string | undefined>;
    if ('authorization' in headers) return inject(opts);
    return inject({ ...opts, headers: { ...headers, ...bearer(token) } });
  };
}

export interface Harness {
  store: Store;
  /** The app; its `inject()` sends the admin token (see `anonymous` for none). */
  app: FastifyInstance;
  /** The app's own inject, sending no token. */
  anonymous: FastifyInstance['inject'];
  metrics: Metrics;
  config: Config;
  logger: Logger;
  tickets: JobTickets;
  close(): Promise<void>;
}

/** Opens a store on the backend and builds the app on it. */
export async function openHarness(
  backend: Backend,
  options: Partial<BuildAppOptions> = {},
): Promise<Harness> {
  const { store, cleanup } = await backend.open();
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = silentLogger();
  const app = await buildApp({
    store,
    metrics,
    logger,
    auth: { adminToken: TEST_ADMIN_TOKEN },
    ...options,
  });
  const anonymous = app.inject.bind(app) as FastifyInstance['inject'];
  // An own property shadows Fastify's inject for this instance only.
  Object.assign(app, { inject: injectWithToken(app, TEST_ADMIN_TOKEN) });
  const config = loadConfig({ env: {} });
  return {
    store,
    app,
    anonymous,
    metrics,
    config,
    logger,
    tickets: TEST_TICKETS,
    async close() {
      await app.close();
      await cleanup();
    },
  };
}

/**
 * A synthetic check result of an item at a slot, with the ticket of an issued job; the
 * check starts 2 s after its slot.
 */
export function checkResult(
  itemId: number,
  scheduledAt: string,
  outcome: Outcome,
  reason: OfflineReason | null = null,
  url = 'http://unused.invalid/',
): CheckResult {
  return makeCheckResult(itemId, scheduledAt, outcome, {
    reason,
    finalUrl: url,
    startedAfterMs: 2000,
    durationMs: 120,
    ticket: TEST_TICKETS.sign({ itemId, scheduledAt: new Date(scheduledAt).toISOString() }),
  });
}

/** One element of the POST /v1/reports answer (either shape). */
export interface ReportAnswer {
  reportId?: string;
  itemId?: number;
  created?: boolean;
  index?: number;
  line?: number;
  error?: { code: string; field: string; message: string };
}

/** Posts reports as a JSON array and returns the parsed answer. */
export async function postReports(
  app: FastifyInstance,
  reports: unknown[],
): Promise<Array<Record<string, unknown>>> {
  const response = await app.inject({ method: 'POST', url: '/v1/reports', payload: reports });
  if (response.statusCode !== 200)
    throw new Error(`POST /v1/reports: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF), to read the CSV export back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i += 1;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += ch;
    i += 1;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
