/**
 * Admission per registrable domain: starts at least `minTimeMs` apart and at most
 * `maxConcurrent` admitted at once, first come first served.
 *
 * Why not bottleneck (the starting design's choice): the crawler's CPU profile at
 * ~1,600 checks/s charged 18% of its time to bottleneck, and a loop of empty tasks over
 * 1,200 domains costs ~120–140 µs of CPU per task through a bottleneck Group (its
 * transpiled async state machines, event emitter and per-job timers), against a few µs
 * here — for a limit that rarely binds. This is the whole of what we used of it: a
 * counter, the next free start time and a FIFO per domain, and one timer per domain
 * only while that domain has someone waiting (docs/design.md, "Departures"). Times are
 * on the monotonic clock: a wall clock stepped back would stall every waiting domain.
 */

/** Admission of one task: resolves when it may start, rejects when the pacer is stopped. */
interface Waiter {
  admit(): void;
  refuse(error: Error): void;
}

interface DomainState {
  admitted: number;
  /** Earliest start of the next admission (ms on the monotonic clock, `performance.now()`). */
  nextStartAt: number;
  /** This domain's least time between two starts. */
  minTimeMs: number;
  waiters: Waiter[];
  timer: NodeJS.Timeout | null;
  /** Last admission or release, for the idle sweep. */
  lastUsedAt: number;
}

export interface DomainPacerOptions {
  /** Least time between two starts of one domain. */
  minTimeMs: number;
  /** A domain's own least time between starts, when it has one (a rate override); else minTimeMs. */
  minTimeMsOf?: (domain: string) => number | undefined;
  /** Admitted and not yet released at once, per domain. */
  maxConcurrent: number;
  /** A domain idle this long is forgotten (its state is a few numbers). */
  idleExpiryMs: number;
}

export class DomainPacer {
  readonly #options: DomainPacerOptions;
  readonly #domains = new Map<string, DomainState>();
  readonly #sweep: NodeJS.Timeout;
  #stopped: Error | null = null;

  constructor(options: DomainPacerOptions) {
    this.#options = options;
    // Clamped: Node runs a larger interval every millisecond.
    this.#sweep = setInterval(
      () => this.#forgetIdle(),
      Math.min(2 ** 31 - 1, Math.max(1000, options.idleExpiryMs)),
    );
    this.#sweep.unref();
  }

  /** Domains with state held now (for tests and metrics). */
  get domains(): number {
    return this.#domains.size;
  }

  /**
   * Resolves when `domain` may start a task (immediately when it is free: no timer, no
   * extra tick). Every admission must be followed by exactly one release(domain).
   */
  admit(domain: string): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const state = this.#state(domain);
    if (state.waiters.length === 0 && this.#tryAdmit(state, performance.now())) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      state.waiters.push({ admit: resolve, refuse: reject });
      this.#drain(state);
    });
  }

  /** Ends one admitted task of `domain`, making room for the next. */
  release(domain: string): void {
    const state = this.#domains.get(domain);
    if (!state) return;
    state.admitted = Math.max(0, state.admitted - 1);
    state.lastUsedAt = performance.now();
    this.#drain(state);
  }

  /** Refuses every waiting and every future admission with `error`; admitted tasks are not touched. */
  stop(error: Error): void {
    this.#stopped = error;
    clearInterval(this.#sweep);
    for (const state of this.#domains.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      for (const waiter of state.waiters.splice(0)) waiter.refuse(error);
    }
  }

  #state(domain: string): DomainState {
    let state = this.#domains.get(domain);
    if (!state) {
      state = {
        admitted: 0,
        nextStartAt: 0,
        minTimeMs: this.#options.minTimeMsOf?.(domain) ?? this.#options.minTimeMs,
        waiters: [],
        timer: null,
        lastUsedAt: performance.now(),
      };
      this.#domains.set(domain, state);
    }
    return state;
  }

  #tryAdmit(state: DomainState, now: number): boolean {
    if (state.admitted >= this.#options.maxConcurrent || now < state.nextStartAt) return false;
    state.admitted += 1;
    state.nextStartAt = now + state.minTimeMs;
    state.lastUsedAt = now;
    return true;
  }

  /** Admits waiters in order while the domain allows; otherwise waits for the next start time or a release. */
  #drain(state: DomainState): void {
    while (state.waiters.length > 0 && this.#stopped === null) {
      const now = performance.now();
      if (!this.#tryAdmit(state, now)) {
        // Full: a release drains again. Too early: one timer until the next start time.
        if (state.admitted < this.#options.maxConcurrent && state.timer === null) {
          state.timer = setTimeout(() => {
            state.timer = null;
            this.#drain(state);
          }, state.nextStartAt - now);
        }
        return;
      }
      state.waiters.shift()?.admit();
    }
  }

  #forgetIdle(): void {
    const now = performance.now();
    for (const [domain, state] of this.#domains) {
      const idle = state.admitted === 0 && state.waiters.length === 0 && state.timer === null;
      if (idle && now - state.lastUsedAt >= this.#options.idleExpiryMs && now >= state.nextStartAt)
        this.#domains.delete(domain);
    }
  }
}
