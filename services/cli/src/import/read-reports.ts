/**
 * Reads a reports file (CSV with a header row, or NDJSON) into raw report objects,
 * one per row, keeping the row's line number. Field validation is left to
 * `validateReport` from @tdm/core, so the file import and the API reject the same
 * things with the same codes.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseCsv } from './csv.js';
import { ImportError } from './import-error.js';

export type ReportsFormat = 'csv' | 'ndjson';

export interface RawRow {
  line: number;
  /**
   * Bytes of the file read so far when this row was parsed: the progress measure. It runs
   * ahead of the row by at most one read chunk (64 KiB) and reaches the file size at its end.
   */
  offset: number;
  /** The row as an object, or the reason it could not even be parsed. */
  value: unknown;
  parseError?: string;
}

export function formatFromPath(path: string): ReportsFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return null;
}

/** CSV columns are the report's field names; `labels` holds a JSON object. */
function csvRowToReport(header: string[], fields: string[]): Record<string, unknown> {
  const report: Record<string, unknown> = {};
  header.forEach((name, index) => {
    const value = fields[index];
    if (value === undefined || value === '') return;
    if (name === 'labels') {
      report[name] = JSON.parse(value) as unknown;
    } else {
      report[name] = value;
    }
  });
  return report;
}

export async function* readReports(path: string, format: ReportsFormat): AsyncGenerator<RawRow> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const offset = (): number => stream.bytesRead;
  if (format === 'ndjson') {
    let line = 0;
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      try {
        yield { line, offset: offset(), value: JSON.parse(text) as unknown };
      } catch (error) {
        yield { line, offset: offset(), value: null, parseError: `not JSON: ${(error as Error).message}` };
      }
    }
    return;
  }
  let header: string[] | null = null;
  for await (const record of parseCsv(stream)) {
    if (header === null) {
      header = record.fields.map((name) => name.trim());
      // The file name is added by the import command, as for every error it reports.
      if (!header.includes('url')) throw new ImportError('the CSV header has no "url" column');
      continue;
    }
    if (record.fields.length !== header.length) {
      yield {
        line: record.line,
        offset: offset(),
        value: null,
        parseError: `expected ${header.length} fields, found ${record.fields.length}`,
      };
      continue;
    }
    try {
      yield { line: record.line, offset: offset(), value: csvRowToReport(header, record.fields) };
    } catch (error) {
      yield {
        line: record.line,
        offset: offset(),
        value: null,
        parseError: `labels: not a JSON object: ${(error as Error).message}`,
      };
    }
  }
}
