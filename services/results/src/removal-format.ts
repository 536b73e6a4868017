/**
 * Text encodings of the removals export, produced row by row so that the route can stream
 * any number of rows with constant memory: CSV (RFC 4180, header row), NDJSON and a JSON
 * array written incrementally.
 */
import type { RemovalRow } from '@tdm/core';
import { REMOVAL_COLUMNS } from './schemas.js';

/** The encodings of the removals export (GET /v1/removals `format`, `tdm export --format`); json is the API's default. */
export const REMOVAL_FORMATS = ['csv', 'ndjson', 'json'] as const;
export type RemovalFormat = (typeof REMOVAL_FORMATS)[number];

export const CONTENT_TYPES: Record<RemovalFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** One CSV field: quoted when it holds a comma, quote, CR/LF or edge whitespace; null is empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function csvHeader(): string {
  return REMOVAL_COLUMNS.join(',') + '\r\n';
}

export function csvRow(row: RemovalRow): string {
  return REMOVAL_COLUMNS.map((column) => csvField(row[column])).join(',') + '\r\n';
}

/** The row with the documented columns only, in their order. */
function pick(row: RemovalRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of REMOVAL_COLUMNS) out[column] = row[column] ?? null;
  return out;
}

/** Encodes rows as text chunks: a prefix, each row, a suffix. */
export async function* encodeRemovals(
  format: RemovalFormat,
  first: IteratorResult<RemovalRow>,
  rest: AsyncIterator<RemovalRow>,
): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
  if (format === 'json') yield '[';
  let current = first;
  let count = 0;
  try {
    while (!current.done) {
      const row = current.value;
      if (format === 'csv') yield csvRow(row);
      else if (format === 'ndjson') yield JSON.stringify(pick(row)) + '\n';
      else yield (count === 0 ? '\n' : ',\n') + JSON.stringify(pick(row));
      count += 1;
      current = await rest.next();
    }
  } finally {
    // A client that goes away mid-stream destroys the stream, which returns this generator:
    // pass that on so the store releases its cursor or connection.
    if (!current.done) await rest.return?.();
  }
  if (format === 'json') yield count === 0 ? ']\n' : '\n]\n';
}
