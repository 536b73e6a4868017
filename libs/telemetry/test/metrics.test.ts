import { describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '@tdm/telemetry';

/** The finite upper bounds (`le`) of a histogram's buckets, read back from its export. */
async function upperBounds(metrics: Metrics, name: string): Promise<number[]> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  expect(metric, name).toBeDefined();
  const bounds = (metric?.values ?? [])
    .filter((value) => 'metricName' in value && value.metricName === `${name}_bucket`)
    .map((value) => Number(value.labels['le']))
    .filter((le) => Number.isFinite(le));
  return [...new Set(bounds)].sort((a, b) => a - b);
}

describe('tdm_schedule_lateness_seconds', () => {
  it('has buckets from 0.05 s to 1 h, evenly spaced on a log scale (no 60 s → 300 s jump)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // Buckets appear in the export once the histogram has a child.
    metrics.scheduleLateness.observe({ mode: 'http' }, 1);
    const bounds = await upperBounds(metrics, 'tdm_schedule_lateness_seconds');
    expect(bounds[0]).toBe(0.05);
    expect(bounds.at(-1)).toBe(3600);
    const ratios = bounds.slice(1).map((bound, i) => bound / (bounds[i] as number));
    const even = (3600 / 0.05) ** (1 / ratios.length);
    // One ratio for all (within the rounding of the bounds to three significant digits), and
    // small enough that a quantile between two bounds is at most 1.5× off.
    for (const ratio of ratios) expect(Math.abs(ratio / even - 1)).toBeLessThan(0.01);
    expect(even).toBeLessThanOrEqual(1.5);
    // Both alert thresholds (60 s, 300 s) fall inside a bucket at most 1.5× wide.
    for (const threshold of [60, 300]) {
      const above = bounds.find((bound) => bound >= threshold) as number;
      const below = [...bounds].reverse().find((bound) => bound < threshold) as number;
      expect(above / below, `${threshold} s`).toBeLessThanOrEqual(1.5);
    }
  });
});

/** Cumulative bucket counts of an unlabelled histogram, by upper bound. */
async function bucketCounts(metrics: Metrics, name: string): Promise<Map<number, number>> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const counts = new Map<number, number>();
  for (const value of metric?.values ?? []) {
    if (!('metricName' in value) || value.metricName !== `${name}_bucket`) continue;
    const le = value.labels['le'];
    counts.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value.value);
  }
  return counts;
}

describe('tdm_nodejs_eventloop_delay_seconds', () => {
  it('is a histogram (buckets summable across pods) that records a blocked event loop', async () => {
    const metrics = createMetrics();
    try {
      const metric = await metrics.registry.getSingleMetric('tdm_nodejs_eventloop_delay_seconds')?.get();
      expect(metric?.type).toBe('histogram');
      // Let the sampler take a few normal ticks, then block the loop for 300 ms.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const end = performance.now() + 300;
      while (performance.now() < end) {
        // busy: nothing else can run
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const counts = await bucketCounts(metrics, 'tdm_nodejs_eventloop_delay_seconds');
      const total = counts.get(Number.POSITIVE_INFINITY) ?? 0;
      const under = (bound: number): number => counts.get(bound) ?? Number.NaN;
      expect(total).toBeGreaterThan(0);
      // The ticks that waited behind the block: delays above 128 ms were seen…
      expect(total - under(0.128)).toBeGreaterThan(0);
      // …and none far longer than the block itself (2 s leaves room for a loaded machine).
      expect(total - under(2.048)).toBe(0);
    } finally {
      metrics.stop();
    }
  });

  it('is not registered without the default metrics', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(metrics.registry.getSingleMetric('tdm_nodejs_eventloop_delay_seconds')).toBeUndefined();
    metrics.stop();
  });
});
