/**
 * The backpressure signal without a JetStream API request every round: the stream's job
 * count is asked at most once per `refreshEveryMs`, and in between the jobs this
 * scheduler published are added to it. With one scheduler the estimate only errs high
 * (crawlers consume in between), so backpressure is never released early and at most
 * `refreshEveryMs` late. With N schedulers each adds only its own publishes, so together
 * they may overshoot `maxPendingJobs` by up to (N − 1) × their claim rate × `refreshEveryMs`:
 * a soft bound, which is all backpressure needs (the stream itself is not limited by it). Asking every round
 * cost more CPU than the claim itself once the tick was short (docs/performance.md).
 */
import type { Bus } from '@tdm/bus';

export class PendingJobsEstimate {
  readonly #bus: Pick<Bus, 'pendingJobs'>;
  readonly #refreshEveryMs: number;
  #measured = 0;
  #publishedSince = 0;
  #measuredAt = Number.NEGATIVE_INFINITY;

  constructor(bus: Pick<Bus, 'pendingJobs'>, refreshEveryMs: number) {
    this.#bus = bus;
    this.#refreshEveryMs = refreshEveryMs;
  }

  /** Jobs in the stream now, at most `refreshEveryMs` old plus what was published since. */
  async current(): Promise<number> {
    if (Date.now() - this.#measuredAt >= this.#refreshEveryMs) {
      this.#measured = await this.#bus.pendingJobs();
      this.#measuredAt = Date.now();
      this.#publishedSince = 0;
    }
    return this.#measured + this.#publishedSince;
  }

  /** Counts jobs this scheduler has just published. */
  published(count: number): void {
    this.#publishedSince += count;
  }
}
