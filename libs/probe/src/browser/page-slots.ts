/**
 * A counting semaphore for open pages: at most `size` checks hold a page at once; the
 * rest wait in arrival order. A waiter whose signal aborts leaves the queue.
 */
export class PageSlots {
  readonly #size: number;
  #used = 0;
  #peak = 0;
  readonly #waiters: Array<{ grant: () => void }> = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Pages held right now. */
  get used(): number {
    return this.#used;
  }

  /** The most pages ever held at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Resolves with a release function once a page is free; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const release = (): void => {
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#used--;
          this.#next();
        });
      };
      if (this.#used < this.#size) {
        this.#take();
        release();
        return;
      }
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.#take();
          release();
        },
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #take(): void {
    this.#used++;
    this.#peak = Math.max(this.#peak, this.#used);
  }

  #next(): void {
    if (this.#used >= this.#size) return;
    this.#waiters.shift()?.grant();
  }
}
