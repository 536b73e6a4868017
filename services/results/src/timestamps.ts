/**
 * Query-string timestamps (since/until): the core rule (parseTimestamp), with a bare date
 * allowed as midnight UTC, and the failure as the API's TDM_ERR_TIMESTAMP.
 */
import { parseTimestamp, ValidationError } from '@tdm/core';
import { ApiError } from './errors.js';

/** Parses an ISO-8601 timestamp from the query, or throws TDM_ERR_TIMESTAMP naming the parameter. */
export function parseQueryTimestamp(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return parseTimestamp(name, value, { dateOnly: true });
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ApiError('TDM_ERR_TIMESTAMP', error.message, { cause: error });
    throw error;
  }
}
