/**
 * Access control for the API, as one Fastify plugin:
 * - refuses to register a `/v1` route that declares no `config.scope`, so a new route
 *   cannot be open by accident, and documents each route's scope in the OpenAPI document;
 * - authenticates every request to a route with a scope (`Authorization: Bearer`): 401
 *   `TDM_ERR_UNAUTHENTICATED` without a valid token, 403 `TDM_ERR_FORBIDDEN` without the
 *   scope; `/metrics` wants TDM_METRICS_TOKEN when one is set;
 * - writes an audit row for every answer of a route with `config.audit`.
 * Register it before the routes and before @fastify/swagger's document is built.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { TdmError } from '@tdm/core';
import type { Store } from '@tdm/store';
import type { Metrics } from '@tdm/telemetry';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';
import { Authenticator } from './authenticator.js';
import { parseBearer } from './bearer.js';
import { AUTH_OFF } from './principal.js';
import { isGuardedPath } from './route-access.js';
import { grants, isScope, SCOPES, type Scope } from './scopes.js';
import { hashToken, sameHash } from './token-secret.js';

export interface AccessOptions {
  store: Store;
  metrics: Metrics;
  now: () => Date;
  /** False only for TDM_AUTH=off (which the configuration accepts on loopback only). */
  enabled: boolean;
  /** An operator-chosen admin token (TDM_ADMIN_TOKEN), accepted besides the store's tokens. */
  adminToken?: string;
  /** When set, /metrics wants this bearer token. */
  metricsToken?: string;
}

/** A guarded route as registered, for tests and docs. */
export interface GuardedRoute {
  method: string;
  url: string;
  scope: Scope;
  audit: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /v1 route with its scope, in registration order. */
    guardedRoutes: GuardedRoute[];
  }
}

/** The OpenAPI name of the bearer scheme (components.securitySchemes). */
export const SECURITY_SCHEME = 'bearerAuth';

const REALM = 'Bearer realm="tdm"';

function deny(
  reply: FastifyReply,
  metrics: Metrics,
  code: 'TDM_ERR_UNAUTHENTICATED' | 'TDM_ERR_FORBIDDEN',
  challenge: string,
  message: string,
): never {
  void reply.header('www-authenticate', challenge);
  metrics.apiDenied.inc({ status: code === 'TDM_ERR_FORBIDDEN' ? '403' : '401' });
  throw new ApiError(code, message);
}

/** Adds the route's scope to its OpenAPI operation (x-tdm-scope, description, 401/403). */
function documentScope(route: RouteOptions, scope: Scope): void {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  if (schema['x-tdm-scope'] !== undefined) return; // the HEAD twin of a GET shares its schema
  const description = typeof schema['description'] === 'string' ? `${schema['description']}\n\n` : '';
  const documented: Record<string, unknown> = {
    ...schema,
    // The document's top-level `security` (bearerAuth) covers every /v1 operation. OpenAPI
    // 3.0 allows scope names there only for OAuth2/OpenID schemes (for a bearer scheme the
    // list must be empty), so the scope is in x-tdm-scope and the description.
    'x-tdm-scope': scope,
    description: `${description}Needs a token with the scope \`${scope}\` (or \`admin\`).`,
  };
  // Beside the route's other documented answers (a route with no response schema has none).
  const response = schema['response'] as object | undefined;
  if (response !== undefined) documented['response'] = { ...response, ...errorResponses(401, 403) };
  route.schema = documented;
}

async function accessPlugin(app: FastifyInstance, options: AccessOptions): Promise<void> {
  const { store, metrics, now, enabled } = options;
  const authenticator = new Authenticator({
    store,
    now,
    ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    onTouchError: (error) => app.log.warn({ err: error }, 'cannot record a token use'),
  });
  const metricsHash = options.metricsToken ? hashToken(options.metricsToken) : null;
  const guarded: GuardedRoute[] = [];
  app.decorate('guardedRoutes', guarded);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditRows', null);
  app.decorateRequest('auditChange', null);

  app.addHook('onRoute', (route) => {
    if (!isGuardedPath(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const scope: unknown = route.config?.scope;
    if (!isScope(scope)) {
      throw new TdmError(
        'TDM_ERR_ROUTE_SCOPE',
        `${methods.join(',')} ${route.url}: every /v1 route must declare config.scope (one of ${SCOPES.join(', ')})`,
      );
    }
    documentScope(route, scope);
    for (const method of methods)
      guarded.push({ method, url: route.url, scope, audit: route.config?.audit === true });
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.metricsAuth && metricsHash !== null) {
      const token = parseBearer(request.headers.authorization);
      if (token === null || !sameHash(hashToken(token), metricsHash)) {
        deny(
          reply,
          metrics,
          'TDM_ERR_UNAUTHENTICATED',
          REALM,
          '/metrics needs Authorization: Bearer <TDM_METRICS_TOKEN>',
        );
      }
      return;
    }
    const scope = config.scope;
    if (scope === undefined) return;
    if (!enabled) {
      request.principal = AUTH_OFF;
      return;
    }
    const token = parseBearer(request.headers.authorization);
    if (token === null) {
      deny(
        reply,
        metrics,
        'TDM_ERR_UNAUTHENTICATED',
        REALM,
        'this route needs Authorization: Bearer <token>',
      );
    }
    const principal = await authenticator.authenticate(token);
    if (principal === null) {
      deny(
        reply,
        metrics,
        'TDM_ERR_UNAUTHENTICATED',
        `${REALM}, error="invalid_token"`,
        'the token is unknown, expired or revoked',
      );
    }
    request.principal = principal;
    if (!grants(principal.scopes, scope)) {
      deny(
        reply,
        metrics,
        'TDM_ERR_FORBIDDEN',
        `${REALM}, error="insufficient_scope", scope="${scope}"`,
        `this route needs a token with the scope ${scope}`,
      );
    }
  });

  app.addHook('preSerialization', async (request: FastifyRequest, _reply, payload: unknown) => {
    if (request.routeOptions.config.audit && request.auditRows === null) {
      request.auditRows = Array.isArray(payload) ? payload.length : payload === null ? 0 : 1;
    }
    return payload;
  });

  // After the answer is sent (for a stream: after its last row), so the row count is known.
  app.addHook('onResponse', async (request, reply) => {
    const config = request.routeOptions.config;
    if (!config.audit || request.principal === null || config.scope === undefined) return;
    const ok = reply.statusCode < 400;
    if (ok && request.method === 'GET') metrics.apiReads.inc({ scope: config.scope });
    const query = {
      ...(request.params as Record<string, unknown> | undefined),
      ...(request.query as Record<string, unknown> | undefined),
      ...(request.auditChange === null ? {} : { change: request.auditChange }),
    };
    try {
      await store.appendAudit([
        {
          at: now(),
          tokenId: request.principal.tokenId,
          tokenName: request.principal.name,
          method: request.method,
          route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
          path: request.url.split('?')[0] ?? '',
          query,
          status: reply.statusCode,
          rows: ok ? (request.auditRows ?? 0) : 0,
          client: request.ip,
        },
      ]);
    } catch (error) {
      metrics.auditWriteFailures.inc();
      request.log.error({ err: error }, 'audit row not written');
    }
  });
}

/** The access-control plugin (hooks apply to the whole app, not an encapsulated child). */
export const accessControl = fp(accessPlugin, { name: 'tdm-access-control', fastify: '5.x' });

/**
 * Counts the rows of a streamed answer for the audit log (a route that sends a stream
 * wraps its rows in this; arrays and objects are counted on serialisation).
 */
export async function* countAuditRows<T>(request: FastifyRequest, rows: AsyncIterable<T>): AsyncGenerator<T> {
  request.auditRows ??= 0;
  for await (const row of rows) {
    request.auditRows += 1;
    yield row;
  }
}
