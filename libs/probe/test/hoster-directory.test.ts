import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@tdm/core';
import { loadHosterDirectory, parseHosterTable } from '@tdm/probe';
import { describe, expect, it } from 'vitest';

const TABLE = `
# ranges of the documentation prefixes, as an operator's file would list real ones
198.51.100.0/24, Example Hosting B.V.
198.51.100.128/25,Reseller Ltd, Amsterdam
203.0.113.7,Single Box Inc
2001:db8::/32,IPv6 Cloud
2001:db8:ab::/48,IPv6 Customer
`;

describe('hoster table', () => {
  const directory = parseHosterTable(TABLE);

  it('answers the longest matching prefix, for IPv4 and IPv6', () => {
    expect(directory.size).toBe(5);
    expect(directory.hosterOf('198.51.100.5')).toBe('Example Hosting B.V.');
    expect(directory.hosterOf('198.51.100.200')).toBe('Reseller Ltd, Amsterdam');
    expect(directory.hosterOf('203.0.113.7')).toBe('Single Box Inc');
    expect(directory.hosterOf('203.0.113.8')).toBeNull();
    expect(directory.hosterOf('2001:db8:1::1')).toBe('IPv6 Cloud');
    expect(directory.hosterOf('2001:0db8:00ab:0000::9')).toBe('IPv6 Customer');
    expect(directory.hosterOf('2001:db9::1')).toBeNull();
    // An IPv4-mapped IPv6 address is judged by the IPv4 ranges.
    expect(directory.hosterOf('::ffff:198.51.100.200')).toBe('Reseller Ltd, Amsterdam');
  });

  it('answers null for text that is not an address', () => {
    expect(directory.hosterOf('')).toBeNull();
    expect(directory.hosterOf('example.com')).toBeNull();
  });

  it('rejects a bad line with its number, and a missing name', () => {
    expect(() => parseHosterTable('198.51.100.0/24,A\n198.51.100.0/33,B')).toThrow(
      /line 2: "198.51.100.0\/33" is not an address/,
    );
    expect(() => parseHosterTable('10.0.0.0/8')).toThrow(ConfigError);
    expect(() => parseHosterTable('10.0.0.0/8,  ')).toThrow(/line 1: no hoster name/);
  });

  it('is read from TDM_HOSTER_FILE; an empty path means no table, a missing file is a clear error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tdm-hosters-'));
    const file = path.join(dir, 'hosters.csv');
    writeFileSync(file, TABLE);
    expect(loadHosterDirectory(file).hosterOf('198.51.100.1')).toBe('Example Hosting B.V.');
    expect(loadHosterDirectory('').size).toBe(0);
    expect(() => loadHosterDirectory(path.join(dir, 'missing.csv'))).toThrow(/TDM_HOSTER_FILE: cannot read/);
  });
});
