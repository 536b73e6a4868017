/** GET /metrics, /healthz, /readyz: what Prometheus and Kubernetes ask. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Store } from '@tdm/store';
import type { Metrics } from '@tdm/telemetry';
import { errorBody } from '../errors.js';
import { errorResponses } from '../schemas.js';
import { sampleItemGauges } from '../item-gauges.js';

export interface OpsRouteOptions {
  store: Store;
  metrics: Metrics;
  ready: () => Promise<boolean> | boolean;
  /** Time allowed for the readiness checks before the answer is 503. */
  readyTimeoutMs: number;
}

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, store: { type: 'string' } },
} as const;

export function registerOpsRoutes(app: FastifyInstance, options: OpsRouteOptions): void {
  const { store, metrics, ready, readyTimeoutMs } = options;

  app.get(
    '/metrics',
    {
      config: { metricsAuth: true },
      schema: {
        summary: 'Prometheus metrics',
        operationId: 'getMetrics',
        tags: ['operations'],
        security: [],
        response: {
          200: {
            description: 'Prometheus text exposition format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses(400, 401, 500),
        },
      },
    },
    async (request, reply) => {
      // Item counts are sampled on scrape, so they are as fresh as the scrape interval and
      // cost nothing when nobody scrapes. A failing store must not hide the other metrics.
      try {
        await sampleItemGauges(store, metrics);
      } catch (error) {
        request.log.warn({ err: error }, 'cannot sample item counts');
      }
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        operationId: 'getHealth',
        tags: ['operations'],
        security: [],
        response: { 200: statusSchema, ...errorResponses(400) },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the store answers and the service says it is ready',
        operationId: 'getReadiness',
        tags: ['operations'],
        security: [],
        response: { 200: statusSchema, ...errorResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const problem = await readinessProblem(store, ready, readyTimeoutMs);
      if (problem === null) return { status: 'ready', store: store.kind };
      request.log.warn({ problem }, 'not ready');
      return (reply as FastifyReply).code(503).send(errorBody('TDM_ERR_NOT_READY', problem));
    },
  );
}

/** Null when ready, else a description of what is not. */
async function readinessProblem(
  store: Store,
  ready: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`readiness checks took longer than ${timeoutMs} ms`), timeoutMs);
  });
  const checks = (async (): Promise<string | null> => {
    try {
      await store.ping();
    } catch (error) {
      return `store (${store.kind}) does not answer: ${(error as Error).message}`;
    }
    try {
      if (!(await ready())) return 'the service is not ready';
    } catch (error) {
      return `readiness check failed: ${(error as Error).message}`;
    }
    return null;
  })();
  try {
    return await Promise.race([checks, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
