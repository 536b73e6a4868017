/**
 * Text encodings of the streamed exports (removals, overdue items), produced row by row
 * so that a route can stream any number of rows with constant memory: CSV (RFC 4180,
 * header row), NDJSON and a JSON array written incrementally.
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

export function csvHeader(columns: readonly string[] = REMOVAL_COLUMNS): string {
  return columns.join(',') + '\r\n';
}

export function csvRow<T extends object>(row: T, columns: readonly (keyof T & string)[]): string;
export function csvRow(row: RemovalRow): string;
export function csvRow(row: object, columns: readonly string[] = REMOVAL_COLUMNS): string {
  const record = row as Record<string, unknown>;
  return columns.map((column) => csvField(record[column])).join(',') + '\r\n';
}

/** The row with the documented columns only, in their order. */
function pick(row: object, columns: readonly string[]): Record<string, unknown> {
  const record = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column] = record[column] ?? null;
  return out;
}

/** Encodes rows as text chunks: a prefix, each row (its `columns`, in order), a suffix. */
export async function* encodeRows<T extends object>(
  format: RemovalFormat,
  columns: readonly (keyof T & string)[],
  first: IteratorResult<T>,
  rest: AsyncIterator<T>,
): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader(columns);
  if (format === 'json') yield '[';
  let current = first;
  let count = 0;
  try {
    while (!current.done) {
      const row = current.value;
      if (format === 'csv') yield csvRow(row, columns);
      else if (format === 'ndjson') yield JSON.stringify(pick(row, columns)) + '\n';
      else yield (count === 0 ? '\n' : ',\n') + JSON.stringify(pick(row, columns));
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

/** The removals export (REMOVAL_COLUMNS). */
export function encodeRemovals(
  format: RemovalFormat,
  first: IteratorResult<RemovalRow>,
  rest: AsyncIterator<RemovalRow>,
): AsyncGenerator<string> {
  return encodeRows(format, REMOVAL_COLUMNS, first, rest);
}
