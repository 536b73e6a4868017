import { describe, expect, it } from 'vitest';
import { PendingJobsEstimate } from '../src/pending-jobs-estimate.js';

/** A stand-in for the stream's job count that records how often it was asked. */
function stream(initial: number): { jobs: number; asked: number; pendingJobs(): Promise<number> } {
  return {
    jobs: initial,
    asked: 0,
    pendingJobs() {
      this.asked += 1;
      return Promise.resolve(this.jobs);
    },
  };
}

describe('PendingJobsEstimate', () => {
  it('asks the stream at most once per refresh period and adds what was published since', async () => {
    const bus = stream(10);
    const estimate = new PendingJobsEstimate(bus, 60_000);
    expect(await estimate.current()).toBe(10);
    estimate.published(5);
    bus.jobs = 0; // crawlers drained it meanwhile: the estimate errs high, never low
    expect(await estimate.current()).toBe(15);
    expect(bus.asked).toBe(1);
  });

  it('measures again once the period is over, forgetting the published count', async () => {
    const bus = stream(7);
    const estimate = new PendingJobsEstimate(bus, 0);
    expect(await estimate.current()).toBe(7);
    estimate.published(100);
    bus.jobs = 3;
    expect(await estimate.current()).toBe(3);
    expect(bus.asked).toBe(2);
  });
});
