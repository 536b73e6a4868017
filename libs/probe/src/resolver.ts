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
   * How long one answer is reused. Short on purpose: it only spares the connector a second
   * query right after the prober's own per-hop lookup; a vanished name must be seen at once.
   * @default 1000
   */
  cacheMs?: number;
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
  const cacheMs = options.cacheMs ?? 1000;
  const cache = new Map<string, { at: number; answer: Promise<ResolvedAddress[]> }>();

  const checked = (host: string, addresses: ResolvedAddress[]): ResolvedAddress[] => {
    for (const { address } of addresses) {
      if (!options.policy.allows(address)) throw new BlockedAddressError(host, address);
    }
    return addresses;
  };

  const query = async (host: string): Promise<ResolvedAddress[]> => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses: ResolvedAddress[] = [];
    if (v4.status === 'fulfilled') for (const address of v4.value) addresses.push({ address, family: 4 });
    if (v6.status === 'fulfilled') for (const address of v6.value) addresses.push({ address, family: 6 });
    if (addresses.length > 0) return addresses;
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

    const now = Date.now();
    const hit = cache.get(host);
    if (hit && now - hit.at < cacheMs) return checked(host, await hit.answer);
    const answer = query(host);
    cache.set(host, { at: now, answer });
    // Failures are not cached: the next attempt asks again.
    answer.catch(() => {
      if (cache.get(host)?.answer === answer) cache.delete(host);
    });
    if (cache.size > 10_000) {
      for (const [key, entry] of cache) if (now - entry.at >= cacheMs) cache.delete(key);
    }
    return checked(host, await answer);
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const family =
      lookupOptions.family === 'IPv4'
        ? 4
        : lookupOptions.family === 'IPv6'
          ? 6
          : Number(lookupOptions.family ?? 0);
    resolve(hostname).then(
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
