/** How rejected values appear in error messages: quoted, and cut so a 10 KB input gives a short message. */

/** Longest excerpt of a rejected value quoted in an error message. */
const QUOTE_LIMIT = 120;

/** A value quoted for an error message, cut at QUOTE_LIMIT characters. */
export function quote(value: string): string {
  const cut = value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value;
  return JSON.stringify(cut);
}

/** A short description of a value of the wrong type, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${quote(value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}
