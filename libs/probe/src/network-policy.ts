/**
 * The network policy: which addresses a check may connect to. By default only public
 * unicast; the operator adds ranges with `allowRanges`. IPv6 forms that embed an IPv4
 * address are judged by the embedded address, so `::ffff:127.0.0.1` is loopback.
 */
import { ConfigError } from '@tdm/core';
import { cidrTable, inRange, parseCidr, parseIp, type CidrRange, type IpAddress } from './ip-address.js';

/**
 * IPv4 ranges that are not public unicast (IANA special-purpose registry plus
 * multicast and reserved).
 */
export const BLOCKED_IPV4 = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, including the cloud metadata address 169.254.169.254
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation (TEST-NET-1)
  '192.88.99.0/24', // 6to4 relay anycast (deprecated)
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, including broadcast 255.255.255.255
] as const;

/** IPv6 global unicast; everything outside it (::, ::1, fc00::/7, fe80::/10, ff00::/8 ...) is refused. */
export const GLOBAL_UNICAST_IPV6 = '2000::/3';
const GLOBAL_UNICAST_V6 = cidrTable([GLOBAL_UNICAST_IPV6]);

/** Special-purpose ranges inside 2000::/3 that are refused too. */
export const BLOCKED_IPV6_IN_GLOBAL = [
  '2001::/23', // IETF protocol assignments (Teredo, benchmarking 2001:2::/48, ORCHID)
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation (RFC 9637)
] as const;

const blockedV4 = cidrTable(BLOCKED_IPV4);
const blockedV6 = cidrTable(BLOCKED_IPV6_IN_GLOBAL);

/**
 * IPv6 prefixes whose last (or, for 6to4, second-to-third group) 32 bits are an IPv4
 * address: judged by that address. A filter that cannot look inside (a Kubernetes
 * NetworkPolicy) must refuse them whole.
 */
export const IPV4_EMBEDDING_IPV6 = {
  mapped: '::ffff:0:0/96',
  translated: '::ffff:0:0:0/96',
  nat64: '64:ff9b::/96',
  sixToFour: '2002::/16',
} as const;
const MAPPED = cidrTable([IPV4_EMBEDDING_IPV6.mapped]);
const TRANSLATED = cidrTable([IPV4_EMBEDDING_IPV6.translated]);
const NAT64 = cidrTable([IPV4_EMBEDDING_IPV6.nat64]);
const SIX_TO_FOUR = cidrTable([IPV4_EMBEDDING_IPV6.sixToFour]);

/** The IPv4 address carried inside an IPv6 address, if it has one of the known forms. */
export function embeddedIPv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  const any = (table: CidrRange[]): boolean => table.some((range) => inRange(ip, range));
  if (any(MAPPED) || any(TRANSLATED) || any(NAT64)) return { family: 4, bytes: ip.bytes.slice(12, 16) };
  if (any(SIX_TO_FOUR)) return { family: 4, bytes: ip.bytes.slice(2, 6) };
  return null;
}

export interface NetworkPolicy {
  /** True when a connection to `address` is allowed. Anything that is not an IP address is refused. */
  allows(address: string): boolean;
}

/**
 * Builds the policy. `allowRanges` are CIDR strings (a bare address means one host);
 * a malformed one is a `ConfigError`, so a typo never silently widens or narrows it.
 */
export function createNetworkPolicy(allowRanges: readonly string[]): NetworkPolicy {
  const allowed = allowRanges.map((text) => {
    const range = parseCidr(text);
    if (!range) throw new ConfigError(`allowRanges: "${text}" is not a CIDR range`);
    return range;
  });
  const isAllowedByOperator = (ip: IpAddress): boolean => allowed.some((range) => inRange(ip, range));

  const judge = (ip: IpAddress): boolean => {
    if (isAllowedByOperator(ip)) return true;
    const v4 = embeddedIPv4(ip);
    if (v4) return judge(v4);
    if (ip.family === 4) return !blockedV4.some((range) => inRange(ip, range));
    return (
      GLOBAL_UNICAST_V6.some((range) => inRange(ip, range)) && !blockedV6.some((range) => inRange(ip, range))
    );
  };

  return {
    allows(address: string): boolean {
      const ip = parseIp(address);
      return ip !== null && judge(ip);
    },
  };
}
