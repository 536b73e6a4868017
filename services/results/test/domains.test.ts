/** GET /v1/domains: the domains that cannot be checked on the grid at their rate, worst first. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridDemand, loadConfig } from '@tdm/core';
import { BACKENDS, openHarness, postReports, type Harness } from './support.js';

describe.each(BACKENDS)('GET /v1/domains ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    // 1-minute grid at 2 checks/s: a domain fits 120 items; bighost.test has 150, small.test 5.
    const config = loadConfig({
      env: { TDM_DOMAIN_RATES: 'agreed.test=10' },
      overrides: { checkInterval: '1m' },
    });
    h = await openHarness(backend, { gridDemand: gridDemand(config) });
    await postReports(h.app, [
      ...Array.from({ length: 150 }, (_, i) => ({
        url: `https://img.bighost.test/${i}.jpg`,
        reportId: `b${i}`,
      })),
      ...Array.from({ length: 150 }, (_, i) => ({ url: `https://agreed.test/${i}.jpg`, reportId: `a${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ url: `https://small.test/${i}.jpg`, reportId: `s${i}` })),
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists only the domains over capacity, with the interval their rate allows, and no URL', async () => {
    const response = await h.app.inject({ url: '/v1/domains' });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{
      intervalSeconds: number;
      defaultRate: number;
      domains: Array<Record<string, unknown>>;
    }>();
    expect(body).toMatchObject({ intervalSeconds: 60, defaultRate: 2 });
    expect(body.domains).toEqual([
      {
        registrableDomain: 'bighost.test',
        activeItems: 150,
        removedItems: 0,
        rate: 2,
        neededRate: 2.5,
        loadRatio: 1.25,
        achievableIntervalSeconds: 75,
      },
    ]);
    expect(response.body).not.toContain('https://');
  });

  it('overCapacity=false lists every domain, an agreed rate included', async () => {
    const response = await h.app.inject({ url: '/v1/domains?overCapacity=false' });
    const names = response.json<{ domains: Array<{ registrableDomain: string; rate: number }> }>().domains;
    expect(names.map((d) => [d.registrableDomain, d.rate])).toEqual([
      ['bighost.test', 2],
      ['agreed.test', 10],
      ['small.test', 2],
    ]);
  });

  it('refuses a bad parameter with a documented code', async () => {
    const response = await h.app.inject({ url: '/v1/domains?limit=0' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('TDM_ERR_BAD_REQUEST');
  });
});
