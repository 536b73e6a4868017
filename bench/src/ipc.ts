/**
 * Request/answer over a forked child's IPC channel: the parent sends `{ id, ...request }`,
 * the child answers `{ id, ok, value | error }`. Every request has a timeout.
 */
import type { Managed } from './children.js';

interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

let nextId = 1;

/** Sends a request and waits for its answer (or the timeout, or the child's exit). */
export async function ask<T>(
  managed: Managed,
  request: Record<string, unknown>,
  timeoutMs: number,
): Promise<T> {
  const id = nextId++;
  const child = managed.child;
  return await new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      const answer = message as Answer;
      if (typeof answer !== 'object' || answer === null || answer.id !== id) return;
      cleanup();
      if (answer.ok) resolve(answer.value as T);
      else reject(new Error(`${managed.name}: ${answer.error ?? 'failed'}`));
    };
    const onExit = (): void => {
      cleanup();
      reject(
        new Error(`${managed.name} exited while answering ${String(request['type'])}: ${managed.tail()}`),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${managed.name}: no answer to ${String(request['type'])} within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send({ id, ...request });
  });
}

/**
 * In a child: answers each request with `handler`; exits when the parent goes away, so an
 * orphaned child never outlives the bench.
 */
export function serve(handler: (request: Record<string, unknown>) => Promise<unknown>): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: unknown) => {
    const request = message as Record<string, unknown> & { id: number };
    handler(request).then(
      (value) => process.send?.({ id: request.id, ok: true, value }),
      (error: unknown) =>
        process.send?.({
          id: request.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
}
