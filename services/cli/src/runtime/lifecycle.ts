/**
 * Service lifecycle: run until SIGTERM or SIGINT, then stop everything in reverse order
 * of start, each part with a grace time, so in-flight checks are finished or handed back.
 */
import type { Logger } from '@tdm/telemetry';

export type Stopper = () => Promise<void>;

export class Lifecycle {
  #stoppers: Array<{ name: string; stop: Stopper }> = [];
  #stopping: Promise<void> | null = null;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers a part to stop; parts stop in reverse order of registration. */
  add(name: string, stop: Stopper): void {
    this.#stoppers.push({ name, stop });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const { name, stop } of [...this.#stoppers].reverse()) {
        try {
          await stop();
        } catch (error) {
          this.#logger.error({ err: error, part: name }, 'error while stopping');
        }
      }
    })();
    return this.#stopping;
  }

  /** Resolves when a signal arrived and every part stopped. */
  async untilSignal(): Promise<void> {
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    this.#logger.info({ signal }, 'stopping');
    await this.stop();
  }
}
