/** Sleeps `ms`, or less when `signal` aborts first (never rejects). */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff with jitter for retries after failures: 200 ms doubling up to `capMs`. */
export function backoffMs(failures: number, capMs = 10_000): number {
  const base = Math.min(capMs, 200 * 2 ** Math.min(failures - 1, 16));
  return base / 2 + Math.random() * (base / 2);
}
