import { parseTimestamp, ValidationError } from '@tdm/core';
import { UsageError } from '../command.js';

/**
 * An optional timestamp option, e.g. --since 2026-01-01T00:00:00Z: the core rule
 * (parseTimestamp), with a bare date allowed as midnight UTC, as GET /v1/removals takes it.
 */
export function parseTimestampOption(name: string, value: string | boolean | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${name}: expects an ISO-8601 date or date-time`);
  try {
    return parseTimestamp(`--${name}`, value, { dateOnly: true });
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message);
    throw error;
  }
}
