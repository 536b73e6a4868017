/**
 * The scheduler says when a domain cannot be checked on the grid: a gauge of the domains
 * over capacity, the load ratio of the worst ones, and one warning line naming them with
 * the interval their rate allows.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, validateReport } from '@tdm/core';
import { openStore, type Store } from '@tdm/store';
import { createLogger, createMetrics, type Metrics } from '@tdm/telemetry';
import { CapacityWatch } from '../src/capacity-watch.js';

let store: Store;
let metrics: Metrics;
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger({
  service: 'capacity-test',
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
});

beforeAll(async () => {
  store = await openStore({});
  await store.migrate();
  metrics = createMetrics({ defaultMetrics: false });
  const now = new Date();
  const reports = [
    ...Array.from({ length: 40 }, (_, i) => ({ url: `http://img.bighost.test/${i}.jpg`, reportId: `b${i}` })),
    ...Array.from({ length: 3 }, (_, i) => ({ url: `http://small.test/${i}.jpg`, reportId: `s${i}` })),
  ].map((raw) => validateReport(raw, { now, source: 'test' }));
  await store.insertReports(reports);
});
afterAll(async () => {
  await store?.close();
  metrics?.stop();
});

describe('CapacityWatch', () => {
  it('counts the domains over capacity, gauges their load and warns once per period', async () => {
    // 40 items every 10 s need 4 checks/s; bighost.test may have 2.
    const config = loadConfig({ env: {}, overrides: { checkInterval: '10s', domainRate: 2 } });
    const watch = new CapacityWatch({ store, config, logger, metrics, everyMs: 60_000 });
    await watch.maybeCheck(1_000_000);
    expect((await metrics.domainsOverCapacity.get()).values[0]?.value).toBe(1);
    const ratios = (await metrics.domainLoadRatio.get()).values;
    expect(ratios.map((v) => [v.labels.registrable_domain, v.value])).toEqual([['bighost.test', 2]]);
    const warning = lines.find((line) => String(line.msg).startsWith('domains over capacity'));
    expect(warning).toMatchObject({
      level: 40,
      domainsOverCapacity: 1,
      configuredIntervalSeconds: 10,
      worst: [{ registrableDomain: 'bighost.test', items: 40, rate: 2, achievableIntervalSeconds: 20 }],
    });
    // Not again within the period.
    const count = lines.length;
    await watch.maybeCheck(1_000_000 + 30_000);
    expect(lines.length).toBe(count);
  });

  it('an agreed rate clears the gauge', async () => {
    const config = loadConfig({
      env: { TDM_DOMAIN_RATES: 'bighost.test=5' },
      overrides: { checkInterval: '10s', domainRate: 2 },
    });
    const watch = new CapacityWatch({ store, config, logger, metrics, everyMs: 60_000 });
    await watch.maybeCheck();
    expect((await metrics.domainsOverCapacity.get()).values[0]?.value).toBe(0);
    expect((await metrics.domainLoadRatio.get()).values).toEqual([]);
  });
});
