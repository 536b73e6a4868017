/**
 * Name resolution for checks: the static host map first, then our DNS servers (A and
 * AAAA over c-ares, `host:port` accepted), or the system's configured DNS servers when
 * none are given. Every answer passes the network policy here, so the rule holds for
 * the address actually connected to: if ANY address of a name is refused, the name is.
 *
 * The same resolver backs `lookup`, the function undici's connector hands to
 * `net.connect`/`tls.connect`, so a connection can only be opened to checked addresses.
 */
import { Resolver } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { ConfigError } from '@tdm/core';
import { BlockedAddressError, DnsLookupError, type DnsFailureKind } from './errors.js';
import type { NetworkPolicy } from './network-policy.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface CheckResolverOptions {
  dnsServers: readonly string[];
  hostMap: Readonly<Record<string, string>>;
  policy: NetworkPolicy;
  /** Per-try timeout of one DNS query. */
  queryTimeoutMs: number;
  /**
   * The longest time one answer is reused, whatever its TTL says. An answer is kept for
   * min(its smallest record TTL, this); a TTL of 0 is not cached at all, and failures are
   * never cached, so a name that vanishes is seen as soon as its TTL allows.
   * @default 30000
   */
  cacheMaxMs?: number;
  /**
   * How long the connector's `lookup` may take the answer that `resolve()` just got for the
   * same name instead of asking again (see CONNECT_HANDOFF_MS); 0 makes it always ask.
   * @default 2000
   */
  connectHandoffMs?: number;
}

/** net.connect's `lookup` option (with `all: true` support, needed by autoSelectFamily). */
export type LookupFunction = (
  hostname: string,
  options: { family?: number | string; all?: boolean },
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

export interface CheckResolver {
  /** Resolves a host name (or IP literal) to policy-checked addresses; rejects with DnsLookupError or BlockedAddressError. */
  resolve(hostname: string): Promise<ResolvedAddress[]>;
  /** The same, shaped for net.connect. */
  readonly lookup: LookupFunction;
}

/** Default of {@link CheckResolverOptions.cacheMaxMs}. */
export const DEFAULT_DNS_CACHE_MAX_MS = 30_000;

/**
 * How long the connector may take the answer that the check's own per-hop resolve() just got,
 * whatever its TTL. This is no cache for checks: every check resolves first (honouring the
 * TTL) and one whose name is gone ends there without connecting; it only spares a second
 * query for the connection that the same check opens a moment later.
 */
const CONNECT_HANDOFF_MS = 2000;

interface TtlAnswer {
  addresses: ResolvedAddress[];
  /** The smallest TTL among the records, in seconds. */
  ttlSeconds: number;
}

/** c-ares codes by what they say about the name (see DnsFailureKind). */
const NXDOMAIN_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EBADNAME']);
const TEMPORARY_CODES = new Set(['ESERVFAIL', 'EREFUSED', 'EFORMERR', 'ENOTIMP', 'EBADRESP']);

function failureKind(code: string): DnsFailureKind {
  if (NXDOMAIN_CODES.has(code)) return 'nxdomain';
  if (TEMPORARY_CODES.has(code)) return 'temporary';
  return 'unavailable';
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

/** Strips a trailing dot and IPv6 brackets, lower-cases. */
function canonicalHost(hostname: string): string {
  let host = hostname.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

/**
 * Combines the A and AAAA outcomes. Decision (documented in the README): NXDOMAIN on
 * either query means the name does not exist; NODATA on both (the name exists but has no
 * address) is treated the same, since no content can be served from it; otherwise a
 * server failure is `temporary` and silence is `unavailable`.
 */
function combineFailures(host: string, errors: unknown[]): DnsLookupError {
  const codes = errors.map(errorCode);
  const kinds = codes.map(failureKind);
  const pick = (kind: DnsFailureKind, index: number): DnsLookupError =>
    new DnsLookupError(host, kind, codes[index] ?? 'EUNKNOWN', { cause: errors[index] });
  const notFound = codes.indexOf('ENOTFOUND');
  if (notFound >= 0) return pick('nxdomain', notFound);
  if (kinds.every((kind) => kind === 'nxdomain')) return pick('nxdomain', 0);
  const temporary = kinds.indexOf('temporary');
  if (temporary >= 0) return pick('temporary', temporary);
  return pick('unavailable', kinds.indexOf('unavailable'));
}

/**
 * Builds the resolver. Throws ConfigError for a host-map value that is not an IP address
 * or a DNS server that c-ares does not accept.
 */
export function createCheckResolver(options: CheckResolverOptions): CheckResolver {
  const hostMap = new Map<string, string>();
  for (const [host, address] of Object.entries(options.hostMap)) {
    if (isIP(address) === 0)
      throw new ConfigError(`hostMap: "${host}" maps to "${address}", which is not an IP address`);
    hostMap.set(canonicalHost(host), address);
  }
  const resolver = new Resolver({ timeout: options.queryTimeoutMs, tries: 2 });
  if (options.dnsServers.length > 0) {
    try {
      resolver.setServers([...options.dnsServers]);
    } catch (error) {
      throw new ConfigError(`dnsServers: ${(error as Error).message}`, { cause: error });
    }
  }
  const cacheMaxMs = options.cacheMaxMs ?? DEFAULT_DNS_CACHE_MAX_MS;
  const handoffMs = options.connectHandoffMs ?? CONNECT_HANDOFF_MS;
  // A pending query is shared by everyone asking meanwhile (expiresAt Infinity until it
  // settles); a settled answer lives until its TTL runs out.
  const cache = new Map<string, { expiresAt: number; answer: Promise<ResolvedAddress[]> }>();
  // The connector's lookup runs right after the check's own resolve() of the same name; it
  // takes that answer instead of asking again (see CONNECT_HANDOFF_MS).
  const lastAnswers = new Map<string, { at: number; addresses: ResolvedAddress[] }>();

  const checked = (host: string, addresses: ResolvedAddress[]): ResolvedAddress[] => {
    for (const { address } of addresses) {
      if (!options.policy.allows(address)) throw new BlockedAddressError(host, address);
    }
    return addresses;
  };

  const query = async (host: string): Promise<TtlAnswer> => {
    const [v4, v6] = await Promise.allSettled([
      resolver.resolve4(host, { ttl: true }),
      resolver.resolve6(host, { ttl: true }),
    ]);
    const addresses: ResolvedAddress[] = [];
    let ttlSeconds = Infinity;
    for (const [family, settled] of [
      [4, v4],
      [6, v6],
    ] as const) {
      if (settled.status !== 'fulfilled') continue;
      for (const record of settled.value) {
        addresses.push({ address: record.address, family });
        ttlSeconds = Math.min(ttlSeconds, record.ttl);
      }
    }
    if (addresses.length > 0) return { addresses, ttlSeconds };
    const failures = [v4, v6]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason);
    throw combineFailures(
      host,
      failures.length > 0 ? failures : [Object.assign(new Error('no addresses'), { code: 'ENODATA' })],
    );
  };

  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    const host = canonicalHost(hostname);
    const literal = isIP(host);
    if (literal !== 0) return checked(host, [{ address: host, family: literal === 4 ? 4 : 6 }]);
    const mapped = hostMap.get(host);
    if (mapped !== undefined) return checked(host, [{ address: mapped, family: isIP(mapped) === 4 ? 4 : 6 }]);

    const now = performance.now();
    const hit = cache.get(host);
    if (hit && now < hit.expiresAt) return checked(host, await hit.answer);
    const pending = query(host);
    pending.then(
      ({ addresses }) => lastAnswers.set(host, { at: performance.now(), addresses }),
      () => lastAnswers.delete(host),
    );
    const entry = { expiresAt: Infinity, answer: pending.then((a) => a.addresses) };
    cache.set(host, entry);
    pending.then(
      ({ ttlSeconds }) => {
        // The TTL counts from when the answer arrived; TTL 0 (or a cap of 0) caches nothing.
        const keepMs = Math.min(ttlSeconds * 1000, cacheMaxMs);
        if (keepMs <= 0) {
          if (cache.get(host) === entry) cache.delete(host);
        } else entry.expiresAt = performance.now() + keepMs;
      },
      // Failures are not cached: the next attempt asks again.
      () => {
        if (cache.get(host) === entry) cache.delete(host);
      },
    );
    if (cache.size > 10_000) {
      for (const [key, old] of cache) if (now >= old.expiresAt) cache.delete(key);
    }
    if (lastAnswers.size > 10_000) {
      for (const [key, last] of lastAnswers) if (now - last.at >= handoffMs) lastAnswers.delete(key);
    }
    return checked(host, await entry.answer);
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const family =
      lookupOptions.family === 'IPv4'
        ? 4
        : lookupOptions.family === 'IPv6'
          ? 6
          : Number(lookupOptions.family ?? 0);
    const host = canonicalHost(hostname);
    const last = lastAnswers.get(host);
    const answer =
      last && performance.now() - last.at < handoffMs
        ? Promise.resolve().then(() => checked(host, last.addresses))
        : resolve(hostname);
    answer.then(
      (all) => {
        const addresses = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
        const first = addresses[0];
        if (!first) {
          callback(new DnsLookupError(hostname, 'nxdomain', 'ENODATA'), '');
        } else if (lookupOptions.all) {
          callback(
            null,
            addresses.map((a) => ({ address: a.address, family: a.family })),
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, ''),
    );
  };

  return { resolve, lookup };
}

/** The prober options that shape its resolver (HTTP and browser probers alike). */
export interface ProberDnsOptions {
  dnsServers: readonly string[];
  hostMap: Readonly<Record<string, string>>;
  connectTimeoutMs: number;
  dnsCacheMaxMs?: number;
}

/** A prober's resolver: one DNS try gets a quarter of the connect time (2 tries), 50 ms to 5 s. */
export function createProberResolver(options: ProberDnsOptions, policy: NetworkPolicy): CheckResolver {
  return createCheckResolver({
    dnsServers: options.dnsServers,
    hostMap: options.hostMap,
    policy,
    queryTimeoutMs: Math.min(5000, Math.max(50, Math.floor(options.connectTimeoutMs / 4))),
    ...(options.dnsCacheMaxMs !== undefined ? { cacheMaxMs: options.dnsCacheMaxMs } : {}),
  });
}
