/**
 * GET /v1/items/{itemId} and GET /v1/items/{itemId}/checks: one item and its check log;
 * PATCH /v1/items/{itemId}: an admin's correction of its notice time.
 */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CHECKS_LIMIT, MAX_CHECKS_LIMIT, type Store } from '@tdm/store';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';
import { parseQueryTimestamp } from '../timestamps.js';
import type {} from '../route-config.js';

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

  app.patch<{ Params: ItemParams; Body: { noticeSentAt: string | null; reason: string } }>(
    '/v1/items/:itemId',
    {
      // Audited (h8a's plugin records admin changes); the old value is kept by the store.
      config: { scope: 'admin', audit: true },
      schema: {
        summary: "Correct an item's notice time (admin)",
        operationId: 'correctItemNoticeTime',
        description:
          'Reports cannot move the notice time of an item whose removal is confirmed (that would rewrite the ' +
          'measured time to removal). An admin can: the old value is kept with the reason (item_corrections).',
        tags: ['items'],
        params: itemIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['noticeSentAt', 'reason'],
          properties: {
            noticeSentAt: {
              type: 'string',
              nullable: true,
              description: 'ISO-8601 date-time with a zone, or null.',
            },
            reason: { type: 'string', minLength: 1, maxLength: 1000 },
          },
        },
        response: { 200: { $ref: 'Item#' }, ...errorResponses(400, 404, 500) },
      },
    },
    async (request) => {
      const { itemId } = request.params;
      const { noticeSentAt, reason } = request.body;
      const corrected =
        noticeSentAt === null ? null : (parseQueryTimestamp('noticeSentAt', noticeSentAt) ?? null);
      // Who: the token's name once the auth plugin puts it on the request.
      const who = (request as { tokenName?: unknown }).tokenName;
      const found = await store.correctNoticeTime(itemId, {
        noticeSentAt: corrected,
        reason,
        correctedBy: typeof who === 'string' ? who : null,
      });
      const item = found ? await store.getItem(itemId) : null;
      if (!item) throw new ApiError('TDM_ERR_NOT_FOUND', `no item ${itemId}`);
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
