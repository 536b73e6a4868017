/**
 * IP addresses as bytes, and CIDR ranges over them. Written by hand (instead of
 * `net.BlockList`) because the network policy must look inside IPv6 forms that carry an
 * IPv4 address (mapped, translated, NAT64, 6to4) and judge them by the IPv4 rules.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface CidrRange {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

function parseIPv4Bytes(text: string): Uint8Array {
  const parts = text.split('.');
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) bytes[i] = Number(parts[i]);
  return bytes;
}

/**
 * Parses a textual IP address (as `net.isIP` accepts it; an IPv6 zone id `%eth0` and
 * surrounding brackets are ignored). Returns null for anything that is not an address.
 */
export function parseIp(input: string): IpAddress | null {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 4, bytes: parseIPv4Bytes(text) };
  if (!isIPv6(text)) return null;

  // Rewrite an embedded dotted quad as two hex groups, then expand "::".
  const lastColon = text.lastIndexOf(':');
  const lastPart = text.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const v4 = parseIPv4Bytes(lastPart);
    const high = (((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16);
    const low = (((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16);
    text = `${text.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':').filter((g) => g !== '') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':').filter((g) => g !== '') : [];
  const groups = head.map((g) => parseInt(g, 16));
  const restGroups = rest.map((g) => parseInt(g, 16));
  const missing = 8 - groups.length - restGroups.length;
  if (halves.length > 1) for (let i = 0; i < missing; i++) groups.push(0);
  groups.push(...restGroups);
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = (group >> 8) & 0xff;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return { family: 6, bytes };
}

/** Parses `address/prefix` (or a bare address, meaning /32 or /128). Null when malformed. */
export function parseCidr(text: string): CidrRange | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  const prefixText = slash >= 0 ? text.slice(slash + 1).trim() : String(max);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return { family: ip.family, bytes: ip.bytes, prefix };
}

/** True when `ip` lies inside `range` (same family only). */
export function inRange(ip: IpAddress, range: CidrRange): boolean {
  if (ip.family !== range.family) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i] ?? 0) & mask) !== ((range.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** Parses a fixed list of CIDR strings known to be valid (our own tables). */
export function cidrTable(texts: readonly string[]): CidrRange[] {
  return texts.map((text) => {
    const range = parseCidr(text);
    // eslint-disable-next-line no-restricted-syntax -- a slip in our own constant tables, caught by every test that imports the prober; never operator input
    if (!range) throw new Error(`bad built-in CIDR ${text}`);
    return range;
  });
}
