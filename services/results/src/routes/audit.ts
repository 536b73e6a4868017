/** GET /v1/audit (admin): who read which URLs, and every token and webhook change. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '@tdm/store';
import { errorResponses } from '../schemas.js';
import { parseQueryTimestamp } from '../timestamps.js';

export const DEFAULT_AUDIT_LIMIT = 1000;
export const MAX_AUDIT_LIMIT = 10_000;

const auditRowSchema = {
  type: 'object',
  required: [
    'id',
    'at',
    'tokenId',
    'tokenName',
    'method',
    'route',
    'path',
    'query',
    'status',
    'rows',
    'client',
  ],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    tokenId: { type: ['string', 'null'] },
    tokenName: { type: ['string', 'null'] },
    method: { type: 'string' },
    route: { type: 'string', description: 'The route pattern, e.g. `/v1/items/:itemId`.' },
    path: { type: 'string', description: 'The path as requested, without the query string.' },
    query: {
      type: 'object',
      additionalProperties: true,
      description: 'Path and query parameters; for a change, what it did under `change`.',
    },
    status: { type: 'integer' },
    rows: { type: 'integer', description: 'Rows answered (array or stream length; 1 for one object).' },
    client: { type: ['string', 'null'], description: 'Client address.' },
  },
} as const;

export function registerAuditRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: { since?: string; limit: number } }>(
    '/v1/audit',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'The audit log',
        operationId: 'listAuditLog',
        description:
          'Every answer of a route that shows URLs and every token or webhook change, oldest first from `since`. ' +
          'Append-only; rows older than TDM_AUDIT_RETENTION are pruned.',
        tags: ['access'],
        querystring: {
          type: 'object',
          properties: {
            since: { type: 'string', description: 'ISO-8601 date or date-time with zone (inclusive).' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_LIMIT, default: DEFAULT_AUDIT_LIMIT },
          },
        },
        response: { 200: { type: 'array', items: auditRowSchema }, ...errorResponses(400, 500) },
      },
    },
    async (request) => {
      const since = parseQueryTimestamp('since', request.query.since);
      const rows = await store.listAudit({ limit: request.query.limit, ...(since ? { since } : {}) });
      return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
    },
  );
}
