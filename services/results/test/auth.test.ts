/**
 * Access control: every /v1 route (taken from the app's own route table, so a new route
 * is covered without editing this file) answers 401 without a valid token and 403 without
 * its scope; tokens expire and are revoked at once, across services sharing a store.
 */
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@tdm/store';
import { createMetrics } from '@tdm/telemetry';
import { createTestDatabase } from '@tdm/test-helpers';
import {
  SCOPES,
  accessControl,
  buildApp,
  generateToken,
  grants,
  type GuardedRoute,
  type Scope,
} from '@tdm/results';
import { BACKENDS, bearer, openHarness, silentLogger, type Harness } from './support.js';

interface Created {
  id: string;
  token: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
}

async function createToken(
  app: FastifyInstance,
  body: { name: string; scopes: string[]; expiresAt?: string },
): Promise<Created> {
  const response = await app.inject({ method: 'POST', url: '/v1/tokens', payload: body });
  if (response.statusCode !== 201)
    throw new Error(`POST /v1/tokens: ${response.statusCode} ${response.body}`);
  return response.json<Created>();
}

/** A request to a route, with its parameters filled in and a minimal body. */
function requestFor(route: GuardedRoute, headers: Record<string, string>): InjectOptions {
  const url = route.url.replace(/:[A-Za-z]+/g, '1');
  const method = route.method as InjectOptions['method'];
  const withBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  return { method, url, headers, ...(withBody ? { payload: [] } : {}) };
}

/** A scope that does not grant `needed` (never admin). */
function otherScope(needed: Scope): Scope {
  return SCOPES.find((scope) => scope !== 'admin' && !grants([scope], needed)) as Scope;
}

describe.each(BACKENDS)('access control ($name)', (backend) => {
  let h: Harness;
  let clock = new Date('2026-03-01T12:00:00.000Z');
  beforeAll(async () => {
    h = await openHarness(backend, { now: () => clock });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('guards every /v1 route, each with one of the five scopes', () => {
    const routes = h.app.guardedRoutes;
    const names = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const known of [
      'POST /v1/reports',
      'GET /v1/items/:itemId',
      'GET /v1/items/:itemId/checks',
      'GET /v1/removals',
      'POST /v1/tokens',
      'GET /v1/tokens',
      'DELETE /v1/tokens/:id',
      'GET /v1/audit',
    ]) {
      expect(names, known).toContain(known);
    }
    for (const route of routes) expect(SCOPES, `${route.method} ${route.url}`).toContain(route.scope);
    const scopeOf = (key: string): string | undefined =>
      routes.find((r) => `${r.method} ${r.url}` === key)?.scope;
    expect(scopeOf('POST /v1/reports')).toBe('reports:write');
    expect(scopeOf('GET /v1/items/:itemId')).toBe('items:read');
    expect(scopeOf('GET /v1/removals')).toBe('items:read');
    expect(scopeOf('POST /v1/tokens')).toBe('admin');
    expect(scopeOf('GET /v1/audit')).toBe('admin');
  });

  it('answers 401 TDM_ERR_UNAUTHENTICATED on every /v1 route without a token, with a malformed header, or with an unknown token', async () => {
    const unknown = generateToken();
    for (const route of h.app.guardedRoutes) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: 'Bearer' },
        bearer(unknown),
      ]) {
        const response = await h.anonymous(requestFor(route, headers));
        const what = `${route.method} ${route.url} ${JSON.stringify(headers)}`;
        expect(response.statusCode, what).toBe(401);
        expect(response.headers['www-authenticate'], what).toMatch(/^Bearer realm="tdm"/);
        if (route.method !== 'HEAD') {
          expect(response.json(), what).toEqual({
            error: { code: 'TDM_ERR_UNAUTHENTICATED', message: expect.any(String) },
          });
        }
      }
    }
  });

  it('answers 403 TDM_ERR_FORBIDDEN on every /v1 route to a valid token without its scope, and lets the right scope through', async () => {
    const byScope = new Map<Scope, Created>();
    for (const scope of SCOPES)
      byScope.set(scope, await createToken(h.app, { name: `only ${scope}`, scopes: [scope] }));
    for (const route of h.app.guardedRoutes) {
      const what = `${route.method} ${route.url}`;
      const wrong = byScope.get(otherScope(route.scope))!;
      const denied = await h.anonymous(requestFor(route, bearer(wrong.token)));
      expect(denied.statusCode, what).toBe(403);
      expect(denied.headers['www-authenticate'], what).toContain(
        `error="insufficient_scope", scope="${route.scope}"`,
      );
      if (route.method !== 'HEAD') expect(denied.json().error.code, what).toBe('TDM_ERR_FORBIDDEN');
      for (const scope of [route.scope, 'admin'] as const) {
        const allowed = await h.anonymous(requestFor(route, bearer(byScope.get(scope)!.token)));
        expect([401, 403], `${what} with ${scope}`).not.toContain(allowed.statusCode);
      }
    }
  });

  it('leaves /healthz, /readyz, /metrics and /openapi.json open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await h.anonymous({ url })).statusCode, url).toBe(200);
    }
  });

  it('creates tokens shown once, lists them without secrets, revokes them at once', async () => {
    const created = await createToken(h.app, { name: 'analyst', scopes: ['items:read', 'stats:read'] });
    expect(created).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^tdm_[A-Za-z0-9_-]{43}$/),
      name: 'analyst',
      scopes: ['items:read', 'stats:read'],
      expiresAt: null,
    });
    const listed = await h.app.inject({ url: '/v1/tokens' });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(created.token);
    expect(listed.body).not.toContain(createHash('sha256').update(created.token).digest('hex'));
    expect(listed.json()).toEqual(
      expect.arrayContaining([
        {
          id: created.id,
          name: 'analyst',
          scopes: ['items:read', 'stats:read'],
          expiresAt: null,
          createdAt: clock.toISOString(),
          lastUsedAt: null,
          revokedAt: null,
        },
      ]),
    );
    expect((await h.anonymous({ url: '/v1/removals', headers: bearer(created.token) })).statusCode).toBe(200);
    const revoked = await h.app.inject({ method: 'DELETE', url: `/v1/tokens/${created.id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: created.id, revokedAt: clock.toISOString() });
    const after = await h.anonymous({ url: '/v1/removals', headers: bearer(created.token) });
    expect(after.statusCode).toBe(401);
    expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/tokens/${created.id}` })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/tokens/no-such-token' })).statusCode).toBe(404);
  });

  it('refuses a token request with an unknown scope, no scope, or an expiry in the past', async () => {
    for (const payload of [
      { name: 'x', scopes: ['items:write'] },
      { name: 'x', scopes: [] },
      { name: '', scopes: ['admin'] },
    ]) {
      const response = await h.app.inject({ method: 'POST', url: '/v1/tokens', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const past = await h.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { name: 'x', scopes: ['admin'], expiresAt: new Date(clock.getTime() - 1000).toISOString() },
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().error.code).toBe('TDM_ERR_TIMESTAMP');
  });

  it('refuses a token once its expiry has passed', async () => {
    const expiresAt = new Date(clock.getTime() + 3600_000).toISOString();
    const created = await createToken(h.app, { name: 'temporary', scopes: ['items:read'], expiresAt });
    expect(created.expiresAt).toBe(expiresAt);
    const use = async (): Promise<number> =>
      (await h.anonymous({ url: '/v1/removals', headers: bearer(created.token) })).statusCode;
    expect(await use()).toBe(200);
    clock = new Date(clock.getTime() + 3599_000);
    expect(await use()).toBe(200);
    clock = new Date(clock.getTime() + 1000);
    expect(await use()).toBe(401);
  });

  it('records a token use, at most once a minute', async () => {
    const created = await createToken(h.app, { name: 'toucher', scopes: ['items:read'] });
    const lastUsed = async (): Promise<string | null> => {
      const tokens = (await h.app.inject({ url: '/v1/tokens' })).json<
        Array<{ id: string; lastUsedAt: string | null }>
      >();
      return tokens.find((t) => t.id === created.id)?.lastUsedAt ?? null;
    };
    const use = async (): Promise<void> => {
      expect((await h.anonymous({ url: '/v1/removals', headers: bearer(created.token) })).statusCode).toBe(
        200,
      );
    };
    const waitFor = async (expected: string): Promise<void> => {
      // The use is recorded after the answer (it never delays a request).
      for (let i = 0; i < 100 && (await lastUsed()) !== expected; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await lastUsed()).toBe(expected);
    };
    const first = clock.toISOString();
    await use();
    await waitFor(first);
    clock = new Date(clock.getTime() + 30_000);
    await use();
    await new Promise((r) => setTimeout(r, 100));
    expect(await lastUsed()).toBe(first);
    clock = new Date(clock.getTime() + 31_000);
    await use();
    await waitFor(clock.toISOString());
  });

  it('documents the bearer scheme and each /v1 operation’s scope in the OpenAPI document', async () => {
    const doc = (await h.anonymous({ url: '/openapi.json' })).json<{
      components: { securitySchemes: Record<string, unknown> };
      security: unknown;
      paths: Record<
        string,
        Record<string, { security?: unknown; 'x-tdm-scope'?: string; responses: Record<string, unknown> }>
      >;
    }>();
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of h.app.guardedRoutes.filter((r) => r.method !== 'HEAD')) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${path}`).toBeDefined();
      // Inherited from the document's top-level security.
      expect(operation?.security ?? doc.security).toEqual([{ bearerAuth: [] }]);
      expect(operation?.['x-tdm-scope']).toBe(route.scope);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(doc.paths['/healthz']?.['get']?.security).toEqual([]);
  });
});

describe('a /v1 route that declares no scope', () => {
  it('cannot be registered', async () => {
    const { store, cleanup } = await BACKENDS[0]!.open();
    const app = Fastify();
    try {
      await app.register(accessControl, {
        store,
        metrics: createMetrics({ defaultMetrics: false }),
        now: () => new Date(),
        enabled: true,
      });
      app.get('/v1/scoped', { config: { scope: 'stats:read' } }, async () => ({}));
      app.get('/open', async () => ({}));
      expect(() => app.get('/v1/forgotten', async () => ({ urls: [] }))).toThrow(
        /must declare config\.scope/,
      );
      expect(() =>
        app.get('/v1/typo', { config: { scope: 'items:reed' as Scope } }, async () => ({ urls: [] })),
      ).toThrow(/must declare config\.scope/);
      await app.ready();
      expect(app.guardedRoutes.map((r) => `${r.method} ${r.url}`)).toEqual([
        'GET /v1/scoped',
        'HEAD /v1/scoped',
      ]);
    } finally {
      await app.close();
      await cleanup();
    }
  });
});

describe('metrics token and TDM_AUTH=off', () => {
  it('wants TDM_METRICS_TOKEN on /metrics when one is set', async () => {
    const h = await openHarness(BACKENDS[0]!, {
      auth: { metricsToken: 'scrape-secret-0123456789abcdef0123' },
    });
    try {
      const without = await h.anonymous({ url: '/metrics' });
      expect(without.statusCode).toBe(401);
      expect(without.json().error.code).toBe('TDM_ERR_UNAUTHENTICATED');
      expect((await h.anonymous({ url: '/metrics', headers: bearer('wrong') })).statusCode).toBe(401);
      const ok = await h.anonymous({
        url: '/metrics',
        headers: bearer('scrape-secret-0123456789abcdef0123'),
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('tdm_api_denied_total{status="401"} 2');
      // Without TDM_ADMIN_TOKEN in the options, the test admin token is not accepted either.
      expect((await h.app.inject({ url: '/v1/removals' })).statusCode).toBe(401);
    } finally {
      await h.close();
    }
  });

  it('with auth off, serves /v1 without a token and still audits the reads', async () => {
    const h = await openHarness(BACKENDS[0]!, { auth: { enabled: false } });
    try {
      const response = await h.anonymous({ url: '/v1/removals' });
      expect(response.statusCode).toBe(200);
      await expect.poll(async () => (await h.store.listAudit({ limit: 10 })).length).toBe(1);
      expect((await h.store.listAudit({ limit: 10 }))[0]).toMatchObject({
        tokenId: 'auth-off',
        tokenName: 'TDM_AUTH=off',
        route: '/v1/removals',
      });
    } finally {
      await h.close();
    }
  });
});

describe('revocation across two results services on one PostgreSQL database', () => {
  it('a token revoked through one service is refused by the other at once', async () => {
    const database = await createTestDatabase('auth_cluster');
    const storeA = await openStore({ databaseUrl: database.url });
    const storeB = await openStore({ databaseUrl: database.url });
    await storeA.migrate();
    const admin = 'cluster-admin-token-0123456789abcdef01234';
    const build = (store: typeof storeA): Promise<FastifyInstance> =>
      buildApp({
        store,
        metrics: createMetrics({ defaultMetrics: false }),
        logger: silentLogger(),
        auth: { adminToken: admin },
      });
    const a = await build(storeA);
    const b = await build(storeB);
    try {
      const created = await a.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(admin),
        payload: { name: 'shared', scopes: ['items:read'] },
      });
      const token = created.json<Created>();
      const onB = async (): Promise<number> =>
        (await b.inject({ url: '/v1/removals', headers: bearer(token.token) })).statusCode;
      expect(await onB()).toBe(200);
      const revoked = await a.inject({
        method: 'DELETE',
        url: `/v1/tokens/${token.id}`,
        headers: bearer(admin),
      });
      expect(revoked.statusCode).toBe(200);
      // No cache, no wait: the very next request on the other service is refused.
      expect(await onB()).toBe(401);
    } finally {
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
      await database.drop();
    }
  });
});
