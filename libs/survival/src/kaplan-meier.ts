/**
 * The Kaplan–Meier estimator of a survival curve from right-censored observations, with
 * Greenwood's variance and pointwise 95% intervals on the log-log scale.
 *
 * Here "survival" is the share of items still online `t` seconds after the notice; an
 * event is a confirmed removal, a censored observation an item still online when last
 * seen. The store computes the same curve in SQL (libs/store, stats queries); this is the
 * reference that the SQL is tested against, and what the report draws from.
 *
 * Conventions (the usual ones, as in R's `survival::survfit(conf.type = "log-log")`):
 * - at a time with both events and censorings, the censored items count as at risk
 *   (events happen first);
 * - Greenwood: Var[S(t)] = S(t)² Σ d/(n(n−d)) over event times ≤ t;
 * - log-log interval: θ = log(−log S), se(θ) = √(Σ d/(n(n−d))) / |log S|, and the
 *   bounds are S^exp(±z·se): they stay inside [0, 1] and are not symmetric, unlike the
 *   plain (linear) Greenwood interval, which is poor near 0 and 1.
 * - where S = 1 the interval is [1, 1]; where S = 0 it is [0, 0].
 */

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/**
 * Tolerance for comparisons of a survival value with a level (0.5 for the median): the
 * product of many factors cannot hit 0.5 exactly in floating point, and the SQL sums
 * logarithms instead of multiplying, so both sides compare with this slack.
 */
export const LEVEL_EPSILON = 1e-9;

export interface Observation {
  /** Time from the origin (seconds); negative values are treated as 0. */
  time: number;
  /** True: the event (removal) happened at `time`; false: censored (still online when last seen). */
  event: boolean;
}

export interface CurvePoint {
  /** A distinct observation time (an event time or a censoring time). */
  time: number;
  /** Items at risk just before `time` (observation time ≥ `time`). */
  atRisk: number;
  /** Events at `time`. */
  events: number;
  /** Censorings at `time`. */
  censored: number;
  /** Kaplan–Meier S(time): the share still online just after `time`. */
  survival: number;
  /** Greenwood's sum Σ d/(n(n−d)) over event times ≤ `time` (Infinity once S = 0). */
  greenwood: number;
  /** 95% interval of S(time), log-log scale. */
  low: number;
  high: number;
}

export interface SurvivalCurve {
  /** Observations in the curve. */
  n: number;
  /** Events among them. */
  events: number;
  /** One point per distinct time, in increasing time. */
  points: CurvePoint[];
}

/** The log-log 95% interval of a survival value with its Greenwood sum. */
export function logLogInterval(survival: number, greenwood: number, z = Z_95): [number, number] {
  if (survival >= 1) return [1, 1];
  if (survival <= 0 || !Number.isFinite(greenwood)) return [0, 0];
  const logS = Math.log(survival);
  const se = Math.sqrt(greenwood) / Math.abs(logS);
  return [survival ** Math.exp(z * se), survival ** Math.exp(-z * se)];
}

/** The Kaplan–Meier curve of `observations` (any order). */
export function kaplanMeier(observations: readonly Observation[]): SurvivalCurve {
  const byTime = new Map<number, { events: number; censored: number }>();
  for (const { time, event } of observations) {
    const t = Math.max(0, time);
    const slot = byTime.get(t) ?? { events: 0, censored: 0 };
    if (event) slot.events += 1;
    else slot.censored += 1;
    byTime.set(t, slot);
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  let atRisk = observations.length;
  let survival = 1;
  let greenwood = 0;
  let events = 0;
  const points: CurvePoint[] = [];
  for (const time of times) {
    const slot = byTime.get(time) as { events: number; censored: number };
    const d = slot.events;
    if (d > 0) {
      events += d;
      if (d >= atRisk) {
        survival = 0;
        greenwood = Number.POSITIVE_INFINITY;
      } else {
        survival *= 1 - d / atRisk;
        greenwood += d / (atRisk * (atRisk - d));
      }
    }
    const [low, high] = logLogInterval(survival, greenwood);
    points.push({ time, atRisk, events: d, censored: slot.censored, survival, greenwood, low, high });
    atRisk -= d + slot.censored;
  }
  return { n: observations.length, events, points };
}

/** S(t): the share still online at `t` (1 before the first event). */
export function survivalAt(curve: SurvivalCurve, t: number): number {
  return pointAt(curve, t)?.survival ?? 1;
}

/** The 95% interval of S(t). */
export function intervalAt(curve: SurvivalCurve, t: number): [number, number] {
  const point = pointAt(curve, t);
  return point ? [point.low, point.high] : [1, 1];
}

function pointAt(curve: SurvivalCurve, t: number): CurvePoint | undefined {
  // Binary search for the last point with time ≤ t.
  let lo = 0;
  let hi = curve.points.length - 1;
  let found: CurvePoint | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const point = curve.points[mid] as CurvePoint;
    if (point.time <= t) {
      found = point;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The first time at which `value(point)` drops to `level` or below; null if it never does. */
function firstTimeAtOrBelow(
  curve: SurvivalCurve,
  level: number,
  value: (point: CurvePoint) => number,
): number | null {
  for (const point of curve.points) if (value(point) <= level + LEVEL_EPSILON) return point.time;
  return null;
}

/**
 * The p-quantile of the time to the event: the smallest time with S(t) ≤ 1 − p (p = 0.5
 * is the median, 0.9 the p90). Null when the curve never falls that low (too much is
 * still online or censored early): the honest answer, not a median of the removed alone.
 */
export function quantile(curve: SurvivalCurve, p: number): number | null {
  return firstTimeAtOrBelow(curve, 1 - p, (point) => point.survival);
}

/**
 * The 95% interval of the p-quantile by inverting the pointwise interval of the curve
 * (Brookmeyer–Crowley's construction, as R's survfit reports it): the lower end is the
 * first time the lower bound of S falls to 1 − p (it lies below S, so it gets there
 * first), the upper end the first time the upper bound does. Either end is null when
 * that bound never falls so low (an open-ended interval).
 */
export function quantileInterval(curve: SurvivalCurve, p: number): [number | null, number | null] {
  return [
    firstTimeAtOrBelow(curve, 1 - p, (point) => point.low),
    firstTimeAtOrBelow(curve, 1 - p, (point) => point.high),
  ];
}
