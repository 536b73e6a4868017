/**
 * What a route declares in its Fastify `config` (the convention shared with the auth
 * plugin): the scope a token needs, and whether the request is recorded in the audit trail.
 */
export type Scope = 'reports:write' | 'items:read' | 'stats:read' | 'webhooks:write' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a bearer token needs for this route. */
    scope?: Scope;
    /** Record the request in the audit trail (reads that return URLs, admin changes). */
    audit?: boolean;
  }
}
