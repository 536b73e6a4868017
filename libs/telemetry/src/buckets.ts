/** Histogram bucket layouts shared by the metric definitions. */
import { exponentialBuckets } from 'prom-client';

/**
 * `count` bounds from `min` to `max` with one ratio between neighbours, so a quantile is
 * interpolated inside a bucket of the same relative width wherever it falls. Rounded to
 * three significant digits, so `le` labels stay readable (0.0735, not 0.07350512…).
 */
export function logBuckets(min: number, max: number, count: number): number[] {
  const factor = (max / min) ** (1 / (count - 1));
  return exponentialBuckets(min, factor, count).map((bound) => Number(bound.toPrecision(3)));
}
