/**
 * The audit trail: every answer of a route that shows URLs, and every token change, is a
 * row naming the token, the route, the query, the rows answered and the client address.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '@tdm/store';
import { createResultsHandler } from '@tdm/results';
import { BACKENDS, bearer, checkResult, openHarness, postReports, type Harness } from './support.js';

interface AuditRow extends Omit<AuditRecord, 'at'> {
  at: string;
}

describe.each(BACKENDS)('audit trail ($name)', (backend) => {
  let h: Harness;
  let analyst: { id: string; token: string };
  const ids: number[] = [];

  /** The audit rows written so far (the row is written after the answer is sent). */
  async function auditRows(expected: number): Promise<AuditRow[]> {
    await expect.poll(async () => (await h.store.listAudit({ limit: 1000 })).length).toBe(expected);
    const response = await h.app.inject({ url: '/v1/audit?limit=1000' });
    expect(response.statusCode).toBe(200);
    return response.json<AuditRow[]>();
  }

  beforeAll(async () => {
    h = await openHarness(backend);
    const answers = await postReports(h.app, [
      {
        url: 'https://example.org/audit-a.jpg',
        reportId: 'a',
        source: 's',
        reportedAt: '2024-05-01T09:00:00Z',
      },
      {
        url: 'https://example.org/audit-b.jpg',
        reportId: 'b',
        source: 's',
        reportedAt: '2024-05-01T09:00:00Z',
      },
    ]);
    ids.push(answers[0]!.itemId as number, answers[1]!.itemId as number);
    const handle = createResultsHandler(h);
    await handle([
      checkResult(ids[0]!, '2024-05-01T12:00:00Z', 'online'),
      checkResult(ids[0]!, '2024-05-01T13:00:00Z', 'offline', 'http_404'),
      checkResult(ids[0]!, '2024-05-01T14:00:00Z', 'offline', 'http_404'),
      checkResult(ids[1]!, '2024-05-01T12:00:00Z', 'offline', 'http_410'),
      checkResult(ids[1]!, '2024-05-01T13:00:00Z', 'offline', 'http_410'),
    ]);
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { name: 'analyst-1', scopes: ['items:read'] },
    });
    analyst = created.json<{ id: string; token: string }>();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    // Only the retention prune may delete audit rows; the tests use it to start afresh.
    await h.store.pruneAudit(new Date(Date.now() + 3600_000));
  });

  it('records item, checks and removals reads with token, route, query, rows and client', async () => {
    const as = bearer(analyst.token);
    expect((await h.anonymous({ url: `/v1/items/${ids[0]}`, headers: as })).statusCode).toBe(200);
    expect((await h.anonymous({ url: `/v1/items/${ids[0]}/checks?limit=50`, headers: as })).statusCode).toBe(
      200,
    );
    const csv = await h.anonymous({ url: '/v1/removals?format=csv&since=2024-05-01', headers: as });
    expect(csv.statusCode).toBe(200);
    expect(
      (await h.anonymous({ url: '/v1/removals?format=ndjson&since=2024-05-01T13:30:00Z', headers: as }))
        .statusCode,
    ).toBe(200);
    expect((await h.anonymous({ url: '/v1/items/999999', headers: as })).statusCode).toBe(404);
    const rows = await auditRows(5);
    const common = { tokenId: analyst.id, tokenName: 'analyst-1', method: 'GET', client: '127.0.0.1' };
    expect(rows).toEqual([
      {
        ...common,
        id: expect.any(Number),
        at: expect.any(String),
        route: '/v1/items/:itemId',
        path: `/v1/items/${ids[0]}`,
        query: { itemId: ids[0] },
        status: 200,
        rows: 1,
      },
      {
        ...common,
        id: expect.any(Number),
        at: expect.any(String),
        route: '/v1/items/:itemId/checks',
        path: `/v1/items/${ids[0]}/checks`,
        query: { itemId: ids[0], limit: 50 },
        status: 200,
        rows: 3,
      },
      {
        ...common,
        id: expect.any(Number),
        at: expect.any(String),
        route: '/v1/removals',
        path: '/v1/removals',
        query: { format: 'csv', since: '2024-05-01' },
        status: 200,
        rows: 2,
      },
      {
        ...common,
        id: expect.any(Number),
        at: expect.any(String),
        route: '/v1/removals',
        path: '/v1/removals',
        query: { format: 'ndjson', since: '2024-05-01T13:30:00Z' },
        status: 200,
        rows: 0,
      },
      {
        ...common,
        id: expect.any(Number),
        at: expect.any(String),
        route: '/v1/items/:itemId',
        path: '/v1/items/999999',
        query: { itemId: 999999 },
        status: 404,
        rows: 0,
      },
    ]);
    // No URL in the audit log: it names items by id.
    expect(JSON.stringify(rows)).not.toContain('example.org');
  });

  it('counts audited reads by scope in tdm_api_reads_total, with no URL in any label', async () => {
    const before = await h.metrics.apiReads.get();
    const count = (): number => before.values.find((v) => v.labels.scope === 'items:read')?.value ?? 0;
    const start = count();
    await h.anonymous({ url: `/v1/items/${ids[1]}`, headers: bearer(analyst.token) });
    await auditRows(1);
    const after = await h.metrics.apiReads.get();
    expect(after.values.find((v) => v.labels.scope === 'items:read')?.value).toBe(start + 1);
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/tdm_api_reads_total\{scope="items:read"\} \d+/);
    expect(text).not.toContain('example.org');
  });

  it('records token changes and refused reads, but not report submissions or token lists', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { name: 'ingest', scopes: ['reports:write'] },
    });
    const ingest = created.json<{ id: string; token: string }>();
    await postReports(h.app, [{ url: 'https://example.org/audit-c.jpg', reportId: 'c', source: 's' }]);
    await h.app.inject({ url: '/v1/tokens' });
    // A valid token without items:read tries to read: refused and recorded.
    expect(
      (await h.anonymous({ url: `/v1/items/${ids[0]}`, headers: bearer(ingest.token) })).statusCode,
    ).toBe(403);
    await h.app.inject({ method: 'DELETE', url: `/v1/tokens/${ingest.id}` });
    const rows = await auditRows(3);
    expect(rows.map((r) => [r.method, r.route, r.status, r.tokenName])).toEqual([
      ['POST', '/v1/tokens', 201, 'TDM_ADMIN_TOKEN'],
      ['GET', '/v1/items/:itemId', 403, 'ingest'],
      ['DELETE', '/v1/tokens/:id', 200, 'TDM_ADMIN_TOKEN'],
    ]);
    expect(rows[0]?.query).toEqual({
      change: { tokenId: ingest.id, name: 'ingest', scopes: ['reports:write'] },
    });
    expect(rows[2]?.query).toEqual({ id: ingest.id, change: { tokenId: ingest.id, revoked: true } });
    expect(JSON.stringify(rows)).not.toContain(ingest.token);
  });

  it('GET /v1/audit pages by since and limit, for admin only', async () => {
    for (const id of ids) await h.anonymous({ url: `/v1/items/${id}`, headers: bearer(analyst.token) });
    const rows = await auditRows(2);
    const second = rows[1]!;
    const since = await h.app.inject({ url: `/v1/audit?since=${encodeURIComponent(second.at)}` });
    expect(since.json<AuditRow[]>().map((r) => r.id)).toEqual(
      rows.filter((r) => r.at >= second.at).map((r) => r.id),
    );
    const limited = await h.app.inject({ url: '/v1/audit?limit=1' });
    expect(limited.json<AuditRow[]>().map((r) => r.id)).toEqual([rows[0]!.id]);
    expect((await h.app.inject({ url: '/v1/audit?since=yesterday' })).statusCode).toBe(400);
    expect((await h.anonymous({ url: '/v1/audit', headers: bearer(analyst.token) })).statusCode).toBe(403);
  });
});
