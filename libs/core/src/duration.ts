/** Human-friendly durations and sizes for configuration and the command line. */
import { ConfigError } from './errors.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `1500ms`, `30s`, `5m`, `1h30m` (or `1h 30m`), `2d`; a bare number is milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(re)) {
    total += Number(match[1]) * DURATION_UNITS[match[2] as string]!;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new ConfigError(`not a duration: "${text}" (use e.g. 500ms, 30s, 5m, 1h30m, 2d)`);
  }
  return Math.round(total);
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `1048576`, `512KiB`, `64MiB`, `1GB`. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = (match?.[2] ?? '').toLowerCase() || 'b';
  const factor = BYTE_UNITS[unit];
  if (!match || factor === undefined)
    throw new ConfigError(`not a size: "${text}" (use e.g. 1048576, 512KiB, 64MiB)`);
  return Math.round(Number(match[1]) * factor);
}
