import { UsageError } from '../command.js';

/** An optional ISO-8601 date-time option, e.g. --since 2026-01-01T00:00:00Z. */
export function parseTimestampOption(name: string, value: string | boolean | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`--${name}: not an ISO-8601 date-time: "${String(value)}"`);
  return date;
}
