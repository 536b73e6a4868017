/**
 * Politeness inside one crawler process: a rate and a concurrency limit per registrable
 * domain (DomainPacer: a counter, a next start time and a FIFO per domain; idle domains
 * are forgotten), in front of a global concurrency limit (p-queue).
 *
 * Order matters: a task first waits for its domain's slot, and only then for a global
 * slot, so a domain that waits for its rate never holds a global slot that another domain
 * could use. The domain slot is held until the task ends (the domain's concurrency counts
 * the task while it waits for a global slot, too). A consequence: when the global queue
 * is full, up to `domainConcurrency` tasks of one domain may be waiting there and then
 * start close together; the domain's rate is exact at admission, and bursts after a global
 * stall are bounded by `domainConcurrency`.
 */
import PQueue from 'p-queue';
import { ConfigError, TdmError, compileDomainRates, startSpacingMs } from '@tdm/core';
import { DomainPacer } from './domain-pacer.js';

export interface PolitenessOptions {
  /** Tasks running at once in this process. */
  globalConcurrency: number;
  /** Tasks started per second per registrable domain. */
  domainRate: number;
  /** Per-domain rates that override domainRate (`TDM_DOMAIN_RATES`: domain → checks per second). */
  domainRates?: Readonly<Record<string, string | number>>;
  /** Tasks running (or waiting for a global slot) at once per registrable domain. */
  domainConcurrency: number;
  /**
   * A domain's state is dropped after this long without tasks.
   * @default 60000
   */
  idleDomainExpiryMs?: number;
}

export interface Politeness {
  /** Runs `task` when the domain's limits and the global limit allow; settles with the task's result. */
  schedule<T>(registrableDomain: string, task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly inFlight: number;
  /** Tasks accepted and not yet started. */
  readonly queued: number;
  /**
   * Accepts no more tasks, rejects those not yet started (PolitenessStoppedError) and
   * waits for the running ones to end.
   */
  stop(): Promise<void>;
}

/** A task was refused or dropped because the limiter was stopped. */
export class PolitenessStoppedError extends TdmError {
  constructor() {
    super('TDM_ERR_POLITENESS_STOPPED', 'politeness limiter stopped; task not run');
  }
}

class DomainPoliteness implements Politeness {
  readonly #domains: DomainPacer;
  readonly #global: PQueue;
  #running = 0;
  #waiting = 0;
  #stopped = false;

  constructor(options: PolitenessOptions) {
    const positive = (name: string, value: number): void => {
      if (!Number.isFinite(value) || value <= 0)
        throw new ConfigError(`${name}: ${value} is not a positive number`);
    };
    positive('globalConcurrency', options.globalConcurrency);
    positive('domainRate', options.domainRate);
    positive('domainConcurrency', options.domainConcurrency);
    const rates = compileDomainRates(options.domainRate, options.domainRates ?? {});
    this.#domains = new DomainPacer({
      maxConcurrent: Math.max(1, Math.floor(options.domainConcurrency)),
      minTimeMs: startSpacingMs(options.domainRate),
      minTimeMsOf: (domain) => {
        const rate = rates.overrides.get(domain);
        return rate === undefined ? undefined : startSpacingMs(rate);
      },
      idleExpiryMs: options.idleDomainExpiryMs ?? 60_000,
    });
    this.#global = new PQueue({ concurrency: Math.max(1, Math.floor(options.globalConcurrency)) });
  }

  get inFlight(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting;
  }

  async schedule<T>(registrableDomain: string, task: () => Promise<T>): Promise<T> {
    if (this.#stopped) throw new PolitenessStoppedError();
    const domain = registrableDomain.toLowerCase();
    this.#waiting++;
    let started = false;
    const run = async (): Promise<T> => {
      if (this.#stopped) throw new PolitenessStoppedError();
      started = true;
      this.#waiting--;
      this.#running++;
      try {
        return await task();
      } finally {
        this.#running--;
      }
    };
    try {
      await this.#domains.admit(domain);
      try {
        return await this.#global.add(run);
      } finally {
        this.#domains.release(domain);
      }
    } finally {
      if (!started) this.#waiting--;
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Waiting tasks are rejected now; running ones finish (stop() resolves when they have).
    this.#domains.stop(new PolitenessStoppedError());
    await this.#global.onIdle();
  }
}

/** Creates the limiter. Throws ConfigError for a non-positive option. */
export function createPoliteness(options: PolitenessOptions): Politeness {
  return new DomainPoliteness(options);
}
