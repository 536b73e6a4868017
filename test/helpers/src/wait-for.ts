/**
 * Polling, bounded in time: the one loop the tests use to wait for something that
 * happens in another process, on a server or on a timer.
 */

export interface PollOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between reads. @default 25 */
  intervalMs?: number;
}

export interface WaitForOptions extends PollOptions {
  /** What is awaited, for the timeout message; a function is read at the timeout. */
  what?: string | (() => string);
}

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads `read()` until `done` holds for its value or the time is up, and returns the last
 * value either way: the caller's assertions then say what was not reached.
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: PollOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await pause(options.intervalMs ?? 25);
  }
}

/** Waits until `condition()` is true; throws `timed out waiting for <what>` when the time is up. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions,
): Promise<void> {
  const met = await pollUntil(condition, (value) => value, options);
  if (met) return;
  const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'a condition');
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
}
