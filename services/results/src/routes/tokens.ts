/**
 * POST /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/{id} (admin): API tokens. A token's
 * secret is answered once, by the POST; the store keeps only its SHA-256.
 */
import type { FastifyInstance } from 'fastify';
import type { Store, TokenRecord } from '@tdm/store';
import { SCOPES, type Scope } from '../auth/scopes.js';
import { generateToken, generateTokenId, hashToken } from '../auth/token-secret.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';

const isoTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;

const tokenSchema = {
  type: 'object',
  required: ['id', 'name', 'scopes', 'expiresAt', 'createdAt', 'lastUsedAt', 'revokedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
    expiresAt: isoTimeOrNull,
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { ...isoTimeOrNull, description: 'Updated at most once a minute.' },
    revokedAt: isoTimeOrNull,
  },
} as const;

interface CreateBody {
  name: string;
  scopes: Scope[];
  expiresAt?: string;
}

function view(record: TokenRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    expiresAt: record.expiresAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

export function registerTokenRoutes(app: FastifyInstance, store: Store, now: () => Date): void {
  app.post<{ Body: CreateBody }>(
    '/v1/tokens',
    {
      config: { scope: 'admin', audit: true },
      schema: {
        summary: 'Create an API token',
        operationId: 'createToken',
        description:
          'Answers the token secret (`tdm_` + 43 base64url characters) once; it cannot be read again. ' +
          '`admin` implies every other scope.',
        tags: ['access'],
        body: {
          type: 'object',
          required: ['name', 'scopes'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            scopes: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...SCOPES] },
            },
            expiresAt: { type: 'string', format: 'date-time', description: 'Optional; in the future.' },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['id', 'token', 'name', 'scopes', 'expiresAt'],
            properties: {
              id: { type: 'string' },
              token: { type: 'string', description: 'The secret, shown this once.' },
              name: { type: 'string' },
              scopes: tokenSchema.properties.scopes,
              expiresAt: isoTimeOrNull,
            },
          },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request, reply) => {
      const { name, scopes } = request.body;
      const createdAt = now();
      const expiresAt = request.body.expiresAt === undefined ? null : new Date(request.body.expiresAt);
      if (expiresAt !== null && !(expiresAt.getTime() > createdAt.getTime())) {
        throw new ApiError('TDM_ERR_TIMESTAMP', 'expiresAt must be a date-time in the future');
      }
      const token = generateToken();
      const record = await store.createToken({
        id: generateTokenId(),
        name,
        hash: hashToken(token),
        scopes,
        expiresAt,
        createdAt,
      });
      request.auditChange = { tokenId: record.id, name, scopes };
      request.log.info({ tokenId: record.id, scopes }, 'token created');
      return reply.code(201).send({
        id: record.id,
        token,
        name: record.name,
        scopes: record.scopes,
        expiresAt: record.expiresAt?.toISOString() ?? null,
      });
    },
  );

  app.get(
    '/v1/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'List API tokens (without secrets)',
        operationId: 'listTokens',
        description: 'Revoked tokens stay listed with `revokedAt`, so audit rows keep naming them.',
        tags: ['access'],
        response: { 200: { type: 'array', items: tokenSchema }, ...errorResponses(400, 500) },
      },
    },
    async () => (await store.listTokens()).map(view),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/tokens/:id',
    {
      config: { scope: 'admin', audit: true },
      schema: {
        summary: 'Revoke an API token',
        operationId: 'revokeToken',
        description:
          'Takes effect at once on every results service sharing the store (tokens are not cached).',
        tags: ['access'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: { 200: tokenSchema, ...errorResponses(400, 404, 500) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const revoked = await store.revokeToken(id, now());
      const record = (await store.listTokens()).find((token) => token.id === id);
      if (!revoked || record === undefined) {
        throw new ApiError('TDM_ERR_NOT_FOUND', `no token ${id} that is not revoked already`);
      }
      request.auditChange = { tokenId: id, revoked: true };
      request.log.info({ tokenId: id }, 'token revoked');
      return view(record);
    },
  );
}
