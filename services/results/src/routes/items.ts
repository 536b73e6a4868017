/** GET /v1/items/{itemId} and GET /v1/items/{itemId}/checks: one item and its check log. */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CHECKS_LIMIT, MAX_CHECKS_LIMIT, type Store } from '@tdm/store';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';

const itemIdParams = {
  type: 'object',
  required: ['itemId'],
  properties: { itemId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

interface ItemParams {
  itemId: number;
}

export function registerItemRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Params: ItemParams }>(
    '/v1/items/:itemId',
    {
      config: { scope: 'items:read', audit: true },
      schema: {
        summary: 'One item: its state, removal timestamps and transitions',
        operationId: 'getItem',
        tags: ['items'],
        params: itemIdParams,
        response: { 200: { $ref: 'Item#' }, ...errorResponses(400, 404, 500) },
      },
    },
    async (request) => {
      const item = await store.getItem(request.params.itemId);
      if (!item) throw new ApiError('TDM_ERR_NOT_FOUND', `no item ${request.params.itemId}`);
      return item;
    },
  );

  app.get<{ Params: ItemParams; Querystring: { limit: number } }>(
    '/v1/items/:itemId/checks',
    {
      config: { scope: 'items:read', audit: true },
      schema: {
        summary: "An item's check log",
        operationId: 'listItemChecks',
        description:
          'Scheduled time, start time, duration, outcome, reason, HTTP status, IP, content SHA-256, bytes, error ' +
          'and redirects of each check kept in the raw check log (see TDM_CHECK_LOG and its retention).',
        tags: ['items'],
        params: itemIdParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_CHECKS_LIMIT, default: DEFAULT_CHECKS_LIMIT },
          },
        },
        response: { 200: { type: 'array', items: { $ref: 'Check#' } }, ...errorResponses(400, 404, 500) },
      },
    },
    async (request) => {
      const { itemId } = request.params;
      // An unknown item is a 404, not an empty log, so that a typo does not look like "never checked".
      const item = await store.getItem(itemId);
      if (!item) throw new ApiError('TDM_ERR_NOT_FOUND', `no item ${itemId}`);
      return store.listChecks(itemId, { limit: request.query.limit });
    },
  );
}
