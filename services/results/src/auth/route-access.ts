/**
 * What a route declares about access, in its Fastify route config:
 * `config: { scope: 'items:read', audit: true }`. Every `/v1` route must name its scope
 * (the access plugin refuses to register one that does not); `audit: true` marks a route
 * whose answers show URLs, or that changes tokens or webhooks.
 */
import type { Principal } from './principal.js';
import type { Scope } from './scopes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a token needs for this route (every /v1 route has one). */
    scope?: Scope;
    /** Record every answer of this route in the audit log. */
    audit?: boolean;
    /** /metrics: wants TDM_METRICS_TOKEN when that is set. */
    metricsAuth?: boolean;
  }
  interface FastifyRequest {
    /** The token that authenticated this request; null on open routes. */
    principal: Principal | null;
    /** Rows answered, for the audit log: set by the route for streams, else counted on serialisation. */
    auditRows: number | null;
    /** What a change did (e.g. the id of a created token), kept in the audit row's query. */
    auditChange: Record<string, unknown> | null;
  }
}

/** True for the paths the access plugin guards. */
export function isGuardedPath(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/');
}
