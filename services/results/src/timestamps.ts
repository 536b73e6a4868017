/** Query-string timestamps (since/until): strict ISO-8601, so that a typo is an error, not a guess. */
import { ApiError } from './errors.js';

// A date, or a date-time with seconds optional and an explicit zone: a zone-less time would
// be read in the server's local zone, which an analyst cannot know.
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/** Parses an ISO-8601 timestamp from the query, or throws TDM_ERR_TIMESTAMP naming the parameter. */
export function parseQueryTimestamp(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ApiError(
      'TDM_ERR_TIMESTAMP',
      `${name}: "${value}" is not an ISO-8601 date or date-time with a zone`,
    );
  }
  return new Date(ms);
}
