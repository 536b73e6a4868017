import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics } from '@tdm/telemetry';
import { buildApp } from '@tdm/results';
import {
  BACKENDS,
  TEST_ADMIN_TOKEN,
  bearer,
  openHarness,
  postReports,
  silentLogger,
  type Harness,
} from './support.js';

describe.each(BACKENDS)('operations routes ($name)', (backend) => {
  let h: Harness;
  let ready = true;
  beforeAll(async () => {
    h = await openHarness(backend, { ready: () => ready });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET /metrics serves the tdm_ metrics in Prometheus format, with item counts sampled on scrape', async () => {
    await postReports(h.app, [
      { url: 'https://example.org/m1.jpg', reportId: 'm1', source: 's' },
      { url: 'https://example.org/m2.jpg', reportId: 'm2', source: 's' },
    ]);
    const response = await h.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(h.metrics.registry.contentType);
    expect(response.body).toContain('# TYPE tdm_reports_total counter');
    expect(response.body).toMatch(/tdm_items\{state="pending"\} 2/);
    expect(response.body).toMatch(/tdm_items\{state="offline"\} 0/);
    expect(response.body).toMatch(/tdm_reports_total\{result="created"\} 2/);
  });

  it('GET /healthz answers while the process runs', async () => {
    const response = await h.app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when the store answers and ready() holds, 503 otherwise', async () => {
    ready = true;
    const ok = await h.app.inject({ url: '/readyz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ready', store: backend.name });
    ready = false;
    const notReady = await h.app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ error: { code: 'TDM_ERR_NOT_READY', message: expect.any(String) } });
    ready = true;
  });

  it('answers an unknown route with 404 TDM_ERR_NOT_FOUND', async () => {
    const response = await h.app.inject({ url: '/v2/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('TDM_ERR_NOT_FOUND');
  });

  it('GET /openapi.json is an OpenAPI 3 document with every route and its schemas', async () => {
    const response = await h.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toEqual(expect.any(String));
    const paths = Object.keys(doc.paths).sort();
    expect(paths).toEqual(
      [
        '/healthz',
        '/metrics',
        '/openapi.json',
        '/readyz',
        '/v1/audit',
        '/v1/domains',
        '/v1/tokens',
        '/v1/tokens/{id}',
        '/v1/items/{itemId}',
        '/v1/items/{itemId}/checks',
        '/v1/removals',
        '/v1/reports',
      ].sort(),
    );
    type Operation = { responses?: Record<string, unknown> };
    for (const [path, operations] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(
          operation.responses?.['200'] ?? operation.responses?.['201'],
          `${method} ${path}`,
        ).toBeDefined();
      }
    }
    expect(Object.keys(doc.paths['/v1/reports'].post.requestBody.content).sort()).toEqual([
      'application/json',
      'application/x-ndjson',
    ]);
    expect(doc.paths['/v1/items/{itemId}'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'itemId', in: 'path', required: true })]),
    );
    expect(doc.paths['/v1/removals'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'format',
      'since',
      'until',
    ]);
    expect(Object.keys(doc.paths['/v1/removals'].get.responses['200'].content).sort()).toEqual([
      'application/json',
      'application/x-ndjson',
      'text/csv',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Report',
        'ReportAccepted',
        'ReportRejected',
        'Item',
        'Check',
        'Removal',
        'Error',
      ]),
    );
    expect(doc.components.schemas.Item.properties.offlineAt).toMatchObject({
      type: 'string',
      nullable: true,
    });
  });
});

describe('request logging', () => {
  it('logs API requests with a request id but not probes and scrapes', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    };
    const { store, cleanup } = await BACKENDS[0]!.open();
    const logger = createLogger({ service: 'results', level: 'info', destination });
    const app = await buildApp({
      store,
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      auth: { adminToken: TEST_ADMIN_TOKEN },
    });
    try {
      for (const url of ['/healthz', '/readyz', '/metrics'])
        expect((await app.inject({ url })).statusCode).toBe(200);
      expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
      await app.inject({ url: '/v1/items/424242', headers: bearer(TEST_ADMIN_TOKEN) });
      const incoming = lines.filter((l) => l.msg === 'incoming request');
      expect(incoming).toHaveLength(1);
      expect(incoming[0]).toMatchObject({ service: 'results', reqId: expect.any(String) });
      expect(lines.find((l) => l.msg === 'request refused')).toMatchObject({ code: 'TDM_ERR_NOT_FOUND' });
    } finally {
      await app.close();
      await cleanup();
    }
  });
});

describe('a store that does not answer', () => {
  it('makes /readyz 503 and the API routes 500 TDM_ERR_INTERNAL without internals in the message', async () => {
    const { store, cleanup } = await BACKENDS[0]!.open();
    const app = await buildApp({
      store,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger(),
      auth: { adminToken: TEST_ADMIN_TOKEN },
    });
    try {
      await cleanup(); // closes the store
      const response = await app.inject({ url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json().error.code).toBe('TDM_ERR_NOT_READY');
      for (const request of [
        { method: 'POST' as const, url: '/v1/reports', payload: [{ url: 'https://example.org/' }] },
        { method: 'GET' as const, url: '/v1/items/1' },
        { method: 'GET' as const, url: '/v1/removals?format=csv' },
      ]) {
        const failed = await app.inject({ ...request, headers: bearer(TEST_ADMIN_TOKEN) });
        expect(failed.statusCode, request.url).toBe(500);
        expect(failed.json(), request.url).toEqual({
          error: {
            code: 'TDM_ERR_INTERNAL',
            message: 'internal error; see the service log for this request id',
          },
        });
      }
    } finally {
      await app.close();
    }
  });
});
