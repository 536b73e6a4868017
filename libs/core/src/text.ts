/**
 * Strings that PostgreSQL cannot keep: `text` refuses NUL, `jsonb` refuses `\u0000` and a
 * lone surrogate escape, and a lone surrogate in `text` is silently replaced by U+FFFD on
 * the way to UTF-8 (another value than the one reported). Such a string is its report's
 * error, found here before the store sees the batch (else the whole batch fails).
 */
import { ValidationError } from './errors.js';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `value` can be stored as it is: no NUL character, no lone surrogate. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** @throws ValidationError `TDM_ERR_TEXT` naming `field` when `value` is not storable text. */
export function assertStorableText(field: string, what: string, value: string): void {
  if (value.includes('\u0000'))
    throw new ValidationError('TDM_ERR_TEXT', field, `${what}: contains a NUL character (U+0000)`);
  if (LONE_SURROGATE.test(value))
    throw new ValidationError(
      'TDM_ERR_TEXT',
      field,
      `${what}: contains a lone UTF-16 surrogate (not a Unicode character)`,
    );
}
