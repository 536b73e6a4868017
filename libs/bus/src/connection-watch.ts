/**
 * What the bus knows about its NATS connection, for the parts that must act on a change:
 * requests waiting for an answer fail at once when the connection drops (nats.js would
 * hold each until its timeout, 10 s, although the server that was to answer is gone —
 * after a nats-server restart this alone kept the scheduler and the crawlers off the grid
 * for ~7 s), and the consumers re-bind as soon as it is back instead of waiting out their
 * heartbeats and retry backoff.
 */
import { BusDisconnectedError } from './errors.js';

export class ConnectionWatch {
  #connected = true;
  readonly #pending = new Set<(error: Error) => void>();
  readonly #reconnectListeners = new Set<() => void>();

  get connected(): boolean {
    return this.#connected;
  }

  /** The connection dropped: every request waiting for an answer fails now. */
  disconnected(): void {
    this.#connected = false;
    const error = new BusDisconnectedError('NATS connection lost while waiting for an answer');
    for (const reject of [...this.#pending]) reject(error);
  }

  /** The connection is back: the consumers pull again at once. */
  reconnected(): void {
    this.#connected = true;
    for (const listener of [...this.#reconnectListeners]) listener();
  }

  /** Calls `listener` on every reconnect until the returned function is called. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  /**
   * `request()`'s answer, or a BusDisconnectedError as soon as the connection drops (or at
   * once, without sending, while it is down). The abandoned request settles later unseen;
   * a publish it carried may still have been stored, which the msg id makes harmless.
   */
  async whileConnected<T>(request: () => Promise<T>): Promise<T> {
    if (!this.#connected) throw new BusDisconnectedError('NATS is disconnected');
    const running = request();
    let reject: ((error: Error) => void) | undefined;
    const dropped = new Promise<never>((_, rejectDropped) => {
      reject = rejectDropped;
      this.#pending.add(rejectDropped);
    });
    try {
      return await Promise.race([running, dropped]);
    } finally {
      if (reject) this.#pending.delete(reject);
      // Whichever lost the race must not surface as an unhandled rejection.
      running.catch(() => undefined);
      dropped.catch(() => undefined);
    }
  }
}
