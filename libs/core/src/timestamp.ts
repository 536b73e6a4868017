/**
 * The one timestamp rule of the product, for every way a time comes in: report fields
 * (`reportedAt`, `noticeSentAt`), query parameters (`since`, `until`), command-line options
 * and bus messages.
 *
 * The RFC 3339 profile of ISO-8601: a date, `T` (or `t` or a space), a time with optional
 * seconds and fraction (`.` or `,`; digits beyond milliseconds are cut), and a zone (`Z` or
 * `±hh:mm`, the colon optional). On purpose:
 * - A zone is required: a zone-less time would be read in the reader's local zone, which
 *   the sender cannot know. Date.parse is not used at all: it also reads "May 1 2026".
 * - The date must exist (no 30 February, no 29 February outside leap years, no hour 24).
 * - The instant, after the offset is applied, must lie in the years 1 to 9999 UTC: the
 *   range PostgreSQL and `Date#toISOString` both write as four digits. `0000-01-01T00:00:00Z`
 *   or `9999-12-31T23:59:59-23:59` (10000-01-01 in UTC) is an input error, not a store
 *   failure later on.
 * - A bare date (`2024-05-01`, midnight UTC) only where the caller asks for it (`dateOnly`):
 *   a window bound may be a day, an event's time may not.
 */
import { ValidationError } from './errors.js';
import { quote } from './quote.js';

/** Earliest and latest UTC year of an accepted instant. */
export const MIN_TIMESTAMP_YEAR = 1;
export const MAX_TIMESTAMP_YEAR = 9999;

export interface ParseTimestampOptions {
  /** Also accept a bare date, read as midnight UTC. @default false */
  dateOnly?: boolean;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

const EXAMPLE = '"2024-05-01T12:00:00Z"';

/**
 * Parses one timestamp by the rule above.
 * @param field names the value in the error (`reportedAt`, `since`, `job.scheduledAt`).
 * @throws ValidationError with code `TDM_ERR_TIMESTAMP` and `field`; its message starts
 *   with `<field>: ` and quotes the value.
 */
export function parseTimestamp(field: string, text: string, options: ParseTimestampOptions = {}): Date {
  const fail = (why: string): never => {
    throw new ValidationError('TDM_ERR_TIMESTAMP', field, `${field}: ${why}`);
  };
  const shape = options.dateOnly ? 'an ISO-8601 date or date-time' : 'an ISO-8601 date-time';
  const example = options.dateOnly ? `expected e.g. "2024-05-01" or ${EXAMPLE}` : `expected e.g. ${EXAMPLE}`;
  const match = DATE_TIME.exec(text.trim());
  if (!match || (match[4] === undefined && !options.dateOnly)) {
    return fail(`not ${shape}: ${quote(text)} (${example})`);
  }
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = match;
  if (h !== undefined && zulu === undefined && sign === undefined) {
    return fail(
      `ISO-8601 date-time without a timezone: ${quote(text)} (add "Z" or an offset such as "+02:00")`,
    );
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? '0');
  const minute = Number(mi ?? '0');
  const second = Number(s ?? '0');
  const offsetHours = Number(oh ?? '0');
  const offsetMinutes = Number(om ?? '0');
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!valid) return fail(`not a valid calendar date-time: ${quote(text)}`);
  // Digits beyond milliseconds are cut, not rounded: a Date holds milliseconds only.
  const millis = Number(`${frac ?? ''}000`.slice(0, 3));
  const local = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, millis);
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const instant = new Date(local.getTime() - offsetMs);
  const utcYear = instant.getUTCFullYear();
  if (utcYear < MIN_TIMESTAMP_YEAR || utcYear > MAX_TIMESTAMP_YEAR) {
    return fail(
      `${quote(text)} lies outside the years ${MIN_TIMESTAMP_YEAR} to ${MAX_TIMESTAMP_YEAR} (UTC, after the offset)`,
    );
  }
  return instant;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
