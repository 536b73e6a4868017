/**
 * Waiting: an abortable sleep, exponential backoff with jitter, and a bounded wait for a
 * promise. Timer code only (no I/O, so it belongs in core): every loop that waits for a
 * tick, a retry or a deadline (bus consumers, the scheduler, the crawler's notBefore, the
 * results service's store retries, the browser's page polls) uses these.
 */

/**
 * Sleeps `ms`, or less when `signal` aborts first. Never rejects.
 * @returns true when the time passed, false when the signal aborted (or had already).
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  return await new Promise<boolean>((resolve) => {
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface BackoffOptions {
  /** Upper bound of the wait after the first failure. */
  firstMs: number;
  /** Upper bound of any wait. */
  capMs: number;
}

/**
 * The wait after `failures` consecutive failures: `firstMs` doubling per failure up to
 * `capMs`, drawn from the upper half (`[base/2, base]`) so that processes that failed
 * together do not retry in step.
 */
export function backoffMs(failures: number, options: BackoffOptions): number {
  const base = Math.min(options.capMs, options.firstMs * 2 ** Math.min(Math.max(failures, 1) - 1, 16));
  return base / 2 + Math.random() * (base / 2);
}

/** Resolves true when `promise` settled (either way) within `ms`, false on timeout; never rejects. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
