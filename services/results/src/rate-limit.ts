/**
 * The per-client rate limit on /v1 (@fastify/rate-limit): keyed by the bearer token when
 * the request carries one (by a hash of the Authorization value: the key store never holds
 * a token), else by the client address. Probes and scrapes are not limited.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

export interface RateLimitOptions {
  /** Requests per window per client; 0 = no limit. */
  max: number;
  windowMs: number;
}

/** The client a request counts against. */
export function rateLimitKey(request: FastifyRequest): string {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization !== '') {
    return `token:${createHash('sha256').update(authorization).digest('base64url').slice(0, 32)}`;
  }
  return `address:${request.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.max <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: rateLimitKey,
    allowList: (request) => !request.url.startsWith('/v1/'),
    // Thrown by the plugin (after it set Retry-After); the error handler answers it.
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        'TDM_ERR_RATE_LIMITED',
        `more than ${context.max} requests in ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });
}
