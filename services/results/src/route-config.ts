/**
 * The access-control fields every /v1 route declares in its Fastify route config (the
 * access-control plugin reads them): the scope it needs, and whether a read returns URLs
 * and is audited.
 */
export type Scope = 'reports:write' | 'items:read' | 'stats:read' | 'webhooks:write' | 'admin';

declare module 'fastify/types/context.js' {
  interface FastifyContextConfig {
    scope?: Scope;
    audit?: boolean;
  }
}
