/**
 * Unknown query parameters are refused with their name, on every route: a misspelt
 * `sinse=` silently ignored would answer all removals instead of a window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openHarness, postReports, type Harness } from './support.js';

interface ErrorAnswer {
  error: { code: string; message: string };
}

describe('query parameters', () => {
  let h: Harness;
  let itemId: number;
  beforeAll(async () => {
    h = await openHarness(BACKENDS[0]!);
    const [answer] = await postReports(h.app, [{ url: 'https://example.org/strict-query' }]);
    itemId = Number(answer?.['itemId']);
  });
  afterAll(async () => {
    await h.close();
  });

  it.each([
    ['/v1/removals?sinse=2026-01-01', 'sinse', ['format', 'since', 'until']],
    ['/v1/removals?since=2026-01-01&formt=csv', 'formt', ['format', 'since', 'until']],
    ['/v1/items/{id}/checks?limt=5', 'limt', ['limit']],
    ['/v1/items/{id}?verbose=1', 'verbose', []],
    ['/healthz?x=1', 'x', []],
  ])(
    'refuses %s with 400 TDM_ERR_BAD_REQUEST naming "%s" and the accepted ones',
    async (url, name, accepted) => {
      const response = await h.app.inject({ url: url.replace('{id}', String(itemId)) });
      expect(response.statusCode).toBe(400);
      const { code, message } = response.json<ErrorAnswer>().error;
      expect(code).toBe('TDM_ERR_BAD_REQUEST');
      expect(message).toContain(`"${name}"`);
      for (const parameter of accepted) expect(message).toContain(parameter);
      if (accepted.length === 0) expect(message).toMatch(/takes no query parameters/);
    },
  );

  it('leaves an unknown route a 404, parameters or not', async () => {
    const response = await h.app.inject({ url: '/v1/nothing-here?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json<ErrorAnswer>().error.code).toBe('TDM_ERR_NOT_FOUND');
  });

  it('still accepts the parameters a route declares', async () => {
    const removals = await h.app.inject({ url: '/v1/removals?since=2026-01-01&format=csv' });
    expect(removals.statusCode).toBe(200);
    const checks = await h.app.inject({ url: `/v1/items/${itemId}/checks?limit=5` });
    expect(checks.statusCode).toBe(200);
    expect((await h.app.inject({ url: `/v1/items/${itemId}` })).statusCode).toBe(200);
  });
});
