/**
 * Event loop delay as a Prometheus histogram, `tdm_nodejs_eventloop_delay_seconds`.
 *
 * prom-client's default metrics export the delay as per-process quantile gauges
 * (`…_eventloop_lag_p99_seconds`), and quantiles of different pods cannot be combined: the
 * max of p99s is no p99. Buckets can be summed across pods before `histogram_quantile`.
 *
 * Why a timer and not `perf_hooks.monitorEventLoopDelay`: that API hands out only
 * percentiles of its own histogram, while prom-client's Histogram takes samples one by one.
 * So the samples are taken the way monitorEventLoopDelay takes them: a timer every
 * `RESOLUTION_MS` whose lateness is the delay the loop imposed on it.
 */
import { Histogram, type Registry } from 'prom-client';

/** Sampling period: 50 samples a second, each one `observe()` call. */
const RESOLUTION_MS = 20;
/** One long block yields at most this many corrected samples (20 s at RESOLUTION_MS). */
const MAX_CORRECTED_SAMPLES = 1000;
/** 1 ms to 16 s, doubling; 0.5 s (the alert threshold) lies in the 0.256–0.512 bucket. */
const DELAY_BUCKETS = [
  0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384,
];

/** Registers the histogram and starts sampling; returns the function that stops it. */
export function startEventLoopDelayHistogram(registry: Registry): () => void {
  const histogram = new Histogram({
    name: 'tdm_nodejs_eventloop_delay_seconds',
    help: 'Event loop delay: how late a timer due every 20 ms fired (corrected for the ticks a block swallowed).',
    buckets: DELAY_BUCKETS,
    registers: [registry],
  });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    const due = performance.now() + RESOLUTION_MS;
    timer = setTimeout(() => {
      const delayMs = Math.max(0, performance.now() - due);
      histogram.observe(delayMs / 1000);
      // A block of d ms also delayed the ticks that would have fired during it, by d − 20,
      // d − 40, … ms (HdrHistogram's "coordinated omission" correction): without them one
      // 2 s block would count as one slow tick among thousands and vanish from the p99.
      let missed = delayMs - RESOLUTION_MS;
      for (let i = 0; missed > 0 && i < MAX_CORRECTED_SAMPLES; i++, missed -= RESOLUTION_MS) {
        histogram.observe(missed / 1000);
      }
      if (!stopped) schedule();
    }, RESOLUTION_MS);
    // Sampling alone must not keep a process alive.
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
