/**
 * The measurement window of an in-process contender: after a warm-up, count the checks
 * that finish inside a fixed window and the process's own CPU time over it.
 */
import type { BenchOutcome, OutcomeCounts } from './classify.js';
import { emptyCounts } from './classify.js';

/** What a contender child reports for one round. */
export interface WindowResult {
  checks: number;
  seconds: number;
  cpuSeconds: number;
  outcomes: OutcomeCounts;
  /** Peak RSS of the child so far. */
  peakRssBytes: number;
}

export class Window {
  readonly #startAt: number;
  readonly #endAt: number;
  #cpuStart: NodeJS.CpuUsage | null = null;
  #cpuUsed: NodeJS.CpuUsage | null = null;
  #openedAt = 0;
  #closedAt = 0;
  readonly outcomes = emptyCounts();
  checks = 0;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(warmupMs: number, windowMs: number) {
    const now = performance.now();
    this.#startAt = now + warmupMs;
    this.#endAt = this.#startAt + windowMs;
    this.#timers.push(
      setTimeout(() => {
        this.#openedAt = performance.now();
        this.#cpuStart = process.cpuUsage();
        // Tells the parent, which measures the fixture's CPU over the same span.
        process.send?.({ event: 'window-open' });
      }, warmupMs),
      setTimeout(() => {
        this.#closedAt = performance.now();
        this.#cpuUsed = process.cpuUsage(this.#cpuStart ?? undefined);
        process.send?.({ event: 'window-close' });
      }, warmupMs + windowMs),
    );
  }

  /** Performance-clock time at which the window closes: workers stop starting checks then. */
  get endAt(): number {
    return this.#endAt;
  }

  /** Records a finished check (counted only inside the window). */
  record(outcome: BenchOutcome): void {
    if (this.#cpuStart !== null && this.#cpuUsed === null) {
      this.checks++;
      this.outcomes[outcome]++;
    }
  }

  result(): WindowResult {
    for (const timer of this.#timers) clearTimeout(timer);
    const used = this.#cpuUsed ?? process.cpuUsage(this.#cpuStart ?? undefined);
    const closedAt = this.#closedAt || performance.now();
    return {
      checks: this.checks,
      seconds: (closedAt - (this.#openedAt || closedAt)) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      outcomes: { ...this.outcomes },
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }
}
