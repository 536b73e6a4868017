/**
 * Per-domain rates: the cluster-wide rate `TDM_DOMAIN_RATE` for every registrable domain,
 * and the overrides an operator agreed with a large host (`TDM_DOMAIN_RATES`,
 * `bighost.example=50,other.example=10`). One definition, read by the scheduler's claim
 * (the pacing in the database), the crawlers' local guard and the capacity report, so the
 * three can never disagree on a domain's rate.
 */
import type { Config } from './config.js';
import { ConfigError } from './errors.js';

export interface DomainRates {
  /** The rate of domains without an override (checks per second). */
  readonly defaultRate: number;
  /** Lower-cased registrable domain → checks per second. */
  readonly overrides: ReadonlyMap<string, number>;
  /** The rate that applies to `registrableDomain`. */
  rateOf(registrableDomain: string): number;
}

const MAX_RATE = 100_000;

/** Checks the overrides (positive numbers ≤ 100,000, domain names without scheme or path). */
export function compileDomainRates(
  defaultRate: number,
  overrides: Readonly<Record<string, string | number>>,
): DomainRates {
  const map = new Map<string, number>();
  for (const [rawDomain, rawRate] of Object.entries(overrides)) {
    const domain = rawDomain.trim().toLowerCase().replace(/\.$/, '');
    if (domain === '' || /[/:@\s]/.test(domain))
      throw new ConfigError(`TDM_DOMAIN_RATES: "${rawDomain}" is not a registrable domain name`);
    const rate = typeof rawRate === 'number' ? rawRate : Number(rawRate.trim());
    if (!Number.isFinite(rate) || rate <= 0 || rate > MAX_RATE)
      throw new ConfigError(
        `TDM_DOMAIN_RATES: the rate of ${domain} must be a number of checks per second in (0, ${MAX_RATE}], got "${rawRate}"`,
      );
    map.set(domain, rate);
  }
  return {
    defaultRate,
    overrides: map,
    rateOf: (registrableDomain) => map.get(registrableDomain.toLowerCase()) ?? defaultRate,
  };
}

/** Whole milliseconds between two starts of a domain, rounded up: never faster than the rate. */
export function startSpacingMs(rate: number): number {
  return Math.max(1, Math.ceil(1000 / rate));
}

/** What the grid asks of each domain under this configuration (for the capacity answer). */
export interface GridDemand {
  /** The regular grid's interval: a policy's shortest phase, the one the grid must keep. */
  intervalMs: number;
  offlineRecheckIntervalMs: number;
  defaultRate: number;
  /** Registrable domain → checks per second (the overrides). */
  rates: Record<string, number>;
}

export function gridDemand(
  config: Pick<
    Config,
    'checkIntervalMs' | 'schedulePolicy' | 'offlineRecheckIntervalMs' | 'domainRate' | 'domainRates'
  >,
): GridDemand {
  const intervals = config.schedulePolicy?.phases.map((phase) => phase.intervalMs) ?? [
    config.checkIntervalMs,
  ];
  return {
    intervalMs: Math.min(...intervals),
    offlineRecheckIntervalMs: config.offlineRecheckIntervalMs,
    defaultRate: config.domainRate,
    rates: Object.fromEntries(compileDomainRates(config.domainRate, config.domainRates).overrides),
  };
}
