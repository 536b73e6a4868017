/**
 * Says when a domain cannot be checked on the grid: a registrable domain holding more
 * items than its rate × interval allows (one image host in the seeds held ~175,000 URLs:
 * at 2 checks/s a 24-hour round, whatever TDM_CHECK_INTERVAL says). Every few minutes it
 * asks the store for the domains over capacity, sets `tdm_domains_over_capacity` and
 * `tdm_domain_load_ratio` for the worst of them, and logs one warning naming them with
 * their achievable interval, so the operator can agree a rate with the host
 * (TDM_DOMAIN_RATES) or lengthen the interval. GET /v1/domains lists them all.
 */
import { gridDemand } from '@tdm/core';
import type { DomainCapacity, Store } from '@tdm/store';
import type { Logger, Metrics } from '@tdm/telemetry';

/** Domains shown in the load-ratio gauge (bounded, so the label set stays small). */
const GAUGED_DOMAINS = 20;
/** Domains named in the warning line. */
const LOGGED_DOMAINS = 5;

type CapacityConfig = Parameters<typeof gridDemand>[0];

export class CapacityWatch {
  readonly #store: Pick<Store, 'domainCapacity'>;
  readonly #config: CapacityConfig;
  readonly #logger: Logger;
  readonly #metrics: Pick<Metrics, 'domainsOverCapacity' | 'domainLoadRatio'>;
  readonly #everyMs: number;
  #checkedAt = -Infinity;

  constructor(options: {
    store: Pick<Store, 'domainCapacity'>;
    config: CapacityConfig;
    logger: Logger;
    metrics: Pick<Metrics, 'domainsOverCapacity' | 'domainLoadRatio'>;
    everyMs: number;
  }) {
    this.#store = options.store;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#everyMs = options.everyMs;
  }

  /** Checks at most once per period (the first call checks); a failure is logged and retried next period. */
  async maybeCheck(now = performance.now()): Promise<void> {
    if (now - this.#checkedAt < this.#everyMs) return;
    this.#checkedAt = now;
    let over: DomainCapacity[];
    try {
      over = await this.#store.domainCapacity({ ...gridDemand(this.#config), limit: 1000 });
    } catch (error) {
      this.#logger.warn({ err: error }, 'domain capacity check failed; will retry');
      return;
    }
    this.#metrics.domainsOverCapacity.set(over.length);
    this.#metrics.domainLoadRatio.reset();
    for (const domain of over.slice(0, GAUGED_DOMAINS))
      this.#metrics.domainLoadRatio.set({ registrable_domain: domain.registrableDomain }, domain.loadRatio);
    if (over.length === 0) return;
    const configuredIntervalSeconds = gridDemand(this.#config).intervalMs / 1000;
    this.#logger.warn(
      {
        domainsOverCapacity: over.length,
        configuredIntervalSeconds,
        worst: over.slice(0, LOGGED_DOMAINS).map((d) => ({
          registrableDomain: d.registrableDomain,
          items: d.activeItems + d.removedItems,
          rate: d.rate,
          achievableIntervalSeconds: d.achievableIntervalMs === null ? null : d.achievableIntervalMs / 1000,
        })),
      },
      'domains over capacity: their items cannot be checked on the grid at their rate (GET /v1/domains; TDM_DOMAIN_RATES)',
    );
  }
}
