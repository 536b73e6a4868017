/**
 * GET /v1/removals: the items whose confirmed removal falls in [since, until), streamed
 * from the store page by page, never held in memory as a whole.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Store } from '@tdm/store';
import { countAuditRows } from '../auth/access-plugin.js';
import { ApiError } from '../errors.js';
import { CONTENT_TYPES, encodeRemovals, REMOVAL_FORMATS, type RemovalFormat } from '../removal-format.js';
import { errorResponses } from '../schemas.js';
import { parseQueryTimestamp } from '../timestamps.js';

interface RemovalsQuery {
  since?: string;
  until?: string;
  format: RemovalFormat;
}

const rowsSchema = { type: 'array', items: { $ref: 'Removal#' } } as const;

export function registerRemovalRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: RemovalsQuery }>(
    '/v1/removals',
    {
      config: { scope: 'items:read', audit: true },
      schema: {
        summary: 'Items that went offline in a window',
        operationId: 'listRemovals',
        description:
          'Items whose removal timestamp (`offlineAt`) lies in [since, until), oldest first, streamed. ' +
          '`csv` has a header row with the column names; `ndjson` is one JSON object per line; `json` an array.',
        tags: ['removals'],
        querystring: {
          type: 'object',
          properties: {
            since: { type: 'string', description: 'ISO-8601 date or date-time with zone (inclusive).' },
            until: { type: 'string', description: 'ISO-8601 date or date-time with zone (exclusive).' },
            format: { type: 'string', enum: REMOVAL_FORMATS, default: 'json' },
          },
        },
        response: {
          200: {
            description: 'The removals, in the requested format.',
            content: {
              'application/json': { schema: rowsSchema },
              'application/x-ndjson': {
                schema: { type: 'string', description: 'One Removal object per line.' },
              },
              'text/csv': {
                schema: { type: 'string', description: 'A header row, then one Removal per row.' },
              },
            },
          },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request, reply) => {
      const since = parseQueryTimestamp('since', request.query.since);
      const until = parseQueryTimestamp('until', request.query.until);
      if (since && until && since > until) throw new ApiError('TDM_ERR_TIMESTAMP', 'since is after until');
      const format = request.query.format;
      const iterator = countAuditRows(request, store.removals({ since, until }))[Symbol.asyncIterator]();
      // Wait for the first row before the headers go out: a store that fails at once is
      // then a proper 500 error response, not a cut-off 200.
      const first = await iterator.next();
      const stream = Readable.from(encodeRemovals(format, first, iterator), { objectMode: false });
      stream.on('error', (error) => request.log.error({ err: error }, 'removals stream failed'));
      return reply.type(CONTENT_TYPES[format]).send(stream);
    },
  );
}
