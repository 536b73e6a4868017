/** Small timing helpers shared by the consumers. */

/** Sleeps `ms`, or less when `signal` aborts first (never rejects). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves true when `promise` settled within `ms`, false on timeout; never rejects. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
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

/** Exponential backoff with jitter, capped: 100 ms, 200 ms, … up to `capMs`. */
export function backoffMs(attempt: number, capMs = 5000): number {
  const base = Math.min(capMs, 100 * 2 ** Math.min(attempt, 16));
  return base / 2 + Math.random() * (base / 2);
}
