/** GET /v1/overdue: items still online past their deadline, oldest deadline first, streamed. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { OverdueRow } from '@tdm/core';
import type { Store } from '@tdm/store';
import { CONTENT_TYPES, encodeRows, type RemovalFormat } from '../removal-format.js';
import { errorResponses } from '../schemas.js';

/** Column order of the overdue export. */
export const OVERDUE_COLUMNS = [
  'itemId',
  'url',
  'host',
  'registrableDomain',
  'hoster',
  'asn',
  'asOrg',
  'country',
  'state',
  'reportedAt',
  'noticeSentAt',
  'deadlineAt',
  'lastOnlineAt',
  'lastCheckedAt',
  'overrunSeconds',
] as const satisfies ReadonlyArray<keyof OverdueRow>;

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const overdueRowSchema = {
  $id: 'Overdue',
  type: 'object',
  required: [...OVERDUE_COLUMNS],
  properties: {
    itemId: { type: 'integer' },
    url: { type: 'string' },
    host: { type: 'string' },
    registrableDomain: { type: 'string' },
    hoster: { type: ['string', 'null'] },
    asn: { type: ['integer', 'null'] },
    asOrg: { type: ['string', 'null'] },
    country: { type: ['string', 'null'] },
    state: { type: 'string', enum: ['pending', 'online'] },
    reportedAt: { type: 'string', format: 'date-time' },
    noticeSentAt: nullableTime,
    deadlineAt: { type: 'string', format: 'date-time' },
    lastOnlineAt: nullableTime,
    lastCheckedAt: nullableTime,
    overrunSeconds: { type: 'number', description: 'Seconds past the deadline, as of the request.' },
  },
} as const;

export function registerOverdueRoutes(app: FastifyInstance, store: Store, now: () => Date): void {
  app.get<{ Querystring: { format: RemovalFormat } }>(
    '/v1/overdue',
    {
      config: { scope: 'items:read', audit: true },
      schema: {
        operationId: 'listOverdue',
        summary: 'Items online past their deadline',
        description:
          'Items not removed whose deadline has passed, oldest deadline first (the longest overrun first), ' +
          'with hoster and overrun: what a penalty payment is computed from. Streamed; returns URLs (audited).',
        tags: ['removals'],
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['json', 'ndjson', 'csv'], default: 'json' } },
        },
        response: {
          200: {
            description: 'The overdue items, in the requested format.',
            content: {
              'application/json': { schema: { type: 'array', items: { $ref: 'Overdue#' } } },
              'application/x-ndjson': {
                schema: { type: 'string', description: 'One Overdue object per line.' },
              },
              'text/csv': {
                schema: { type: 'string', description: 'A header row, then one Overdue per row.' },
              },
            },
          },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format;
      const iterator = store.overdue({ now: now() })[Symbol.asyncIterator]();
      const first = await iterator.next();
      const stream = Readable.from(encodeRows(format, OVERDUE_COLUMNS, first, iterator), {
        objectMode: false,
      });
      stream.on('error', (error) => request.log.error({ err: error }, 'overdue stream failed'));
      return reply.type(CONTENT_TYPES[format]).send(stream);
    },
  );
}
