/**
 * Which hosting company an address belongs to, from the operator's own table of ranges
 * (`TDM_HOSTER_FILE`: lines `cidr,hoster`, e.g. exported from an RIR/ASN dataset or a
 * hotline's hoster register). Analysts rank hosters by time to removal, so each item
 * carries the hoster of the address it was last served from. We never look this up on
 * the network (no WHOIS, no RDAP): the table is data the operator controls and dates.
 *
 * Longest prefix wins (a customer's /24 inside its provider's /16 names the customer).
 * A lookup costs at most one map probe per prefix length present in the table, so a
 * table of a million ranges answers in microseconds.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@tdm/core';
import { parseCidr, parseIp, type CidrRange, type IpAddress } from './ip-address.js';
import { embeddedIPv4 } from './network-policy.js';

export interface HosterDirectory {
  /** The hoster of `ip` (any textual form), or null when no range holds it or it is not an address. */
  hosterOf(ip: string): string | null;
  /** Ranges in the table. */
  readonly size: number;
}

/** The network part of `bytes` under `prefix`, as a map key. */
function networkKey(bytes: Uint8Array, prefix: number): string {
  let key = '';
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    key += ((bytes[i] ?? 0) & mask).toString(16).padStart(2, '0');
  }
  return key;
}

class PrefixTable implements HosterDirectory {
  /** Per family: prefix length → network key → hoster; lengths longest first. */
  readonly #byFamily = new Map<4 | 6, { lengths: number[]; nets: Map<number, Map<string, string>> }>();
  #size = 0;

  add(range: CidrRange, hoster: string): void {
    let family = this.#byFamily.get(range.family);
    if (!family) {
      family = { lengths: [], nets: new Map() };
      this.#byFamily.set(range.family, family);
    }
    let nets = family.nets.get(range.prefix);
    if (!nets) {
      nets = new Map();
      family.nets.set(range.prefix, nets);
      family.lengths = [...family.nets.keys()].sort((a, b) => b - a);
    }
    const key = networkKey(range.bytes, range.prefix);
    if (!nets.has(key)) this.#size += 1;
    nets.set(key, hoster);
  }

  get size(): number {
    return this.#size;
  }

  hosterOf(ip: string): string | null {
    const address = parseIp(ip);
    if (!address) return null;
    // An IPv4 address in IPv6 dress (`::ffff:a.b.c.d` from a dual-stack socket, NAT64, …)
    // is judged by the IPv4 ranges when no IPv6 range names it: the policy's own reading.
    const embedded = embeddedIPv4(address);
    return this.#lookup(address) ?? (embedded ? this.#lookup(embedded) : null);
  }

  #lookup(address: IpAddress): string | null {
    const family = this.#byFamily.get(address.family);
    if (!family) return null;
    for (const length of family.lengths) {
      const hoster = family.nets.get(length)?.get(networkKey(address.bytes, length));
      if (hoster !== undefined) return hoster;
    }
    return null;
  }
}

/**
 * Parses the table: one `cidr,hoster` per line (a bare address means /32 or /128); blank
 * lines and lines starting with `#` are skipped; the hoster name is trimmed and may contain
 * commas. Throws ConfigError naming the line of the first bad entry.
 */
export function parseHosterTable(text: string, source = 'hoster table'): HosterDirectory {
  const table = new PrefixTable();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const comma = line.indexOf(',');
    const cidr = comma < 0 ? line : line.slice(0, comma).trim();
    const hoster = comma < 0 ? '' : line.slice(comma + 1).trim();
    const range = parseCidr(cidr);
    if (!range)
      throw new ConfigError(`${source}, line ${index + 1}: "${cidr}" is not an address or CIDR range`);
    if (hoster === '') throw new ConfigError(`${source}, line ${index + 1}: no hoster name after "${cidr},"`);
    if (hoster.length > 200)
      throw new ConfigError(`${source}, line ${index + 1}: hoster name longer than 200 characters`);
    table.add(range, hoster);
  });
  return table;
}

/** Reads and parses `TDM_HOSTER_FILE`; an empty path gives an empty directory (hoster stays unknown). */
export function loadHosterDirectory(file: string): HosterDirectory {
  if (file === '') return parseHosterTable('');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`TDM_HOSTER_FILE: cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseHosterTable(text, `TDM_HOSTER_FILE ${file}`);
}
