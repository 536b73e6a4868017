import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  intervalAt,
  kaplanMeier,
  quantile,
  quantileInterval,
  survivalAt,
  type Observation,
} from '@tdm/survival';

/**
 * The 6-MP arm of Freireich et al. (1963), remission times in weeks (Gehan 1965), the
 * textbook example with ties and censoring; `+` marks a censored time:
 * 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+.
 */
const SIX_MP: Observation[] = [
  [6, true],
  [6, true],
  [6, true],
  [6, false],
  [7, true],
  [9, false],
  [10, true],
  [10, false],
  [11, false],
  [13, true],
  [16, true],
  [17, false],
  [19, false],
  [20, false],
  [22, true],
  [23, true],
  [25, false],
  [32, false],
  [32, false],
  [34, false],
  [35, false],
].map(([time, event]) => ({ time: time as number, event: event as boolean }));

/**
 * The published table (Kleinbaum & Klein, Survival Analysis, table 2.2; R survfit with
 * conf.type = "log-log"): time, at risk, events, S(t), Greenwood standard error, 95% bounds.
 * S(t) by hand: 18/21, ×16/17, ×14/15, ×11/12, ×10/11, ×6/7, ×5/6.
 */
const TABLE = [
  { time: 6, atRisk: 21, events: 3, s: 18 / 21, se: 0.0764, low: 0.62, high: 0.952 },
  { time: 7, atRisk: 17, events: 1, s: 0.806723, se: 0.0869, low: 0.563, high: 0.923 },
  { time: 10, atRisk: 15, events: 1, s: 0.752941, se: 0.0963, low: 0.503, high: 0.889 },
  { time: 13, atRisk: 12, events: 1, s: 0.690196, se: 0.1068, low: 0.432, high: 0.849 },
  { time: 16, atRisk: 11, events: 1, s: 0.627451, se: 0.1141, low: 0.368, high: 0.805 },
  { time: 22, atRisk: 7, events: 1, s: 0.537815, se: 0.1282, low: 0.268, high: 0.747 },
  { time: 23, atRisk: 6, events: 1, s: 0.448179, se: 0.1346, low: 0.188, high: 0.68 },
];

describe('kaplanMeier on the 6-MP data', () => {
  const curve = kaplanMeier(SIX_MP);

  it('matches the published table at every event time', () => {
    const eventPoints = curve.points.filter((p) => p.events > 0);
    expect(eventPoints.map((p) => p.time)).toEqual(TABLE.map((row) => row.time));
    for (const row of TABLE) {
      const point = eventPoints.find((p) => p.time === row.time);
      expect(point?.atRisk).toBe(row.atRisk);
      expect(point?.events).toBe(row.events);
      expect(point?.survival).toBeCloseTo(row.s, 6);
      expect((point?.survival ?? 0) * Math.sqrt(point?.greenwood ?? 0)).toBeCloseTo(row.se, 4);
      expect(point?.low).toBeCloseTo(row.low, 3);
      expect(point?.high).toBeCloseTo(row.high, 3);
    }
  });

  it('counts censored items at a tied time as at risk (6 and 6+)', () => {
    const at6 = curve.points[0];
    expect(at6).toMatchObject({ time: 6, atRisk: 21, events: 3, censored: 1 });
    expect(curve.points[1]).toMatchObject({ time: 7, atRisk: 17 });
  });

  it('is a step function between points', () => {
    expect(survivalAt(curve, 5.99)).toBe(1);
    expect(survivalAt(curve, 6)).toBeCloseTo(18 / 21, 12);
    expect(survivalAt(curve, 9.5)).toBeCloseTo(0.806723, 6);
    expect(survivalAt(curve, 1000)).toBeCloseTo(0.448179, 6);
    expect(intervalAt(curve, 0)).toEqual([1, 1]);
  });

  it('gives the median 23 weeks with the interval [13, open) and no p90', () => {
    expect(quantile(curve, 0.5)).toBe(23);
    expect(quantileInterval(curve, 0.5)).toEqual([13, null]);
    expect(quantile(curve, 0.9)).toBeNull();
  });
});

describe('kaplanMeier edge cases', () => {
  it('is empty without observations', () => {
    const curve = kaplanMeier([]);
    expect(curve.points).toEqual([]);
    expect(survivalAt(curve, 10)).toBe(1);
    expect(quantile(curve, 0.5)).toBeNull();
  });

  it('falls to 0 when the last items at risk all have the event', () => {
    const curve = kaplanMeier([
      { time: 1, event: true },
      { time: 2, event: true },
    ]);
    expect(curve.points.map((p) => p.survival)).toEqual([0.5, 0]);
    expect(intervalAt(curve, 2)).toEqual([0, 0]);
    expect(quantile(curve, 0.5)).toBe(1);
    expect(quantile(curve, 0.9)).toBe(2);
  });

  it('treats a negative time as 0', () => {
    expect(kaplanMeier([{ time: -5, event: true }]).points[0]?.time).toBe(0);
  });
});

const observation = fc.record({
  time: fc.integer({ min: 0, max: 50 }),
  event: fc.boolean(),
});

describe('kaplanMeier properties', () => {
  it('without censoring, 1 − S(t) is the share of times ≤ t', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 55 }),
        (times, t) => {
          const curve = kaplanMeier(times.map((time) => ({ time, event: true })));
          const share = times.filter((x) => x <= t).length / times.length;
          expect(1 - survivalAt(curve, t)).toBeCloseTo(share, 10);
        },
      ),
    );
  });

  it('survival never increases and stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 80 }), (observations) => {
        const points = kaplanMeier(observations).points;
        let previous = 1;
        for (const point of points) {
          expect(point.survival).toBeLessThanOrEqual(previous);
          expect(point.survival).toBeGreaterThanOrEqual(0);
          previous = point.survival;
        }
      }),
    );
  });

  it('the 95% bounds contain the estimate and stay in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 80 }), (observations) => {
        for (const point of kaplanMeier(observations).points) {
          expect(point.low).toBeGreaterThanOrEqual(0);
          expect(point.low).toBeLessThanOrEqual(point.survival + 1e-12);
          expect(point.high).toBeGreaterThanOrEqual(point.survival - 1e-12);
          expect(point.high).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('the median interval contains the median', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 80 }), (observations) => {
        const curve = kaplanMeier(observations);
        const median = quantile(curve, 0.5);
        const [low, high] = quantileInterval(curve, 0.5);
        if (median === null) {
          expect(high).toBeNull();
          return;
        }
        expect(low).not.toBeNull();
        expect(low as number).toBeLessThanOrEqual(median);
        if (high !== null) expect(high).toBeGreaterThanOrEqual(median);
      }),
    );
  });

  it('at-risk counts start at n and fall by the events and censorings', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 80 }), (observations) => {
        const points = kaplanMeier(observations).points;
        let atRisk = observations.length;
        for (const point of points) {
          expect(point.atRisk).toBe(atRisk);
          atRisk -= point.events + point.censored;
        }
        expect(atRisk).toBe(0);
      }),
    );
  });
});
