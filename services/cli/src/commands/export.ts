/** `tdm export`: the removals in a time window, as the API's /v1/removals gives them. */
import { createWriteStream } from 'node:fs';
import { apiClientFor, type ApiClient } from '../access/api-client.js';
import { once } from 'node:events';
import { parseTimestampOption } from '../import/timestamps.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { isOneOf, loadConfig, TdmError } from '@tdm/core';
import { encodeRemovals, REMOVAL_FORMATS, type RemovalFormat } from '@tdm/results';
import { createRuntime } from '../runtime/runtime.js';
import { openConfiguredStore } from '../runtime/services.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export removal episodes (every confirmed removal) as CSV, NDJSON or JSON',
  help: `Usage: tdm export [--since ISO] [--until ISO] [--format csv|ndjson|json] [--output FILE] [--api URL [--token-file FILE]]

Writes every removal episode whose confirmed removal (offlineAt) falls in [since, until),
oldest first, with reportedAt, noticeSentAt, lastOnlineAt, offlineAt, confirmedAt, reason,
time to removal, episode number and reappearedAt (an item removed twice has two rows).
Reads DATABASE_URL or the embedded store, or with --api a running results service's
GET /v1/removals (needed while \`tdm up\` holds the embedded store).

Options:
  --since ISO    start of the window (inclusive)
  --until ISO    end of the window (exclusive)
  --format F     csv (default), ndjson or json
  --output FILE  write there instead of standard output
  --api URL      results service base URL, e.g. http://127.0.0.1:8080
  --token-file FILE  file with an items:read token for --api (default: TDM_TOKEN,
                 else <dataDir>/admin.token when it exists)`,
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string' },
    api: { type: 'string' },
    'token-file': { type: 'string' },
  },
  async run({ values, stdout }) {
    const format = values['format'] ?? 'csv';
    if (!isOneOf(REMOVAL_FORMATS, format)) {
      const names = `${REMOVAL_FORMATS.slice(0, -1).join(', ')} or ${REMOVAL_FORMATS.at(-1)}`;
      throw new UsageError(`--format must be ${names}, got "${String(format)}"`);
    }
    const since = parseTimestampOption('since', values['since']);
    const until = parseTimestampOption('until', values['until']);
    const out = typeof values['output'] === 'string' ? createWriteStream(values['output']) : stdout;
    const write = async (chunk: string): Promise<void> => {
      if (!out.write(chunk)) await once(out, 'drain');
    };
    const rows =
      typeof values['api'] === 'string'
        ? await exportThroughApi(apiClientFor(loadConfig(), values), { format, since, until }, write)
        : await exportFromStore(format, since, until, write);
    if (out !== stdout) {
      out.end();
      await once(out, 'finish');
      process.stderr.write(`exported ${rows} removals to ${String(values['output'])}\n`);
    }
    return 0;
  },
};

/** Straight from the store (DATABASE_URL or the embedded one, which no other process may hold). */
async function exportFromStore(
  format: RemovalFormat,
  since: Date | undefined,
  until: Date | undefined,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  const rt = createRuntime('export');
  let rows = 0;
  try {
    const store = await openConfiguredStore(rt);
    // The same encoder as GET /v1/removals, so the file and the API agree byte for byte.
    const rowsCounted = countRows(store.removals({ since, until }), () => rows++)[Symbol.asyncIterator]();
    for await (const chunk of encodeRemovals(format, await rowsCounted.next(), rowsCounted))
      await write(chunk);
  } finally {
    await rt.lifecycle.stop();
  }
  return rows;
}

/** Through a running results service: its GET /v1/removals (items:read; audited), streamed as it arrives. */
async function exportThroughApi(
  client: ApiClient,
  query: { format: RemovalFormat; since: Date | undefined; until: Date | undefined },
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  const params = new URLSearchParams({ format: query.format });
  if (query.since) params.set('since', query.since.toISOString());
  if (query.until) params.set('until', query.until.toISOString());
  let response: Response;
  try {
    response = await client.request('GET', `/v1/removals?${params.toString()}`);
  } catch (error) {
    if (error instanceof TdmError) throw error;
    throw new TdmError('TDM_ERR_EXPORT', `cannot reach ${client.baseUrl}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.body === null) throw new TdmError('TDM_ERR_EXPORT', 'GET /v1/removals answered no body');
  const decoder = new TextDecoder();
  let rows = 0;
  let last = '';
  for await (const bytes of response.body) {
    const text = decoder.decode(bytes, { stream: true });
    rows += countRecords(query.format, text);
    if (text !== '') last = text;
    await write(text);
  }
  const tail = decoder.decode();
  if (tail !== '') await write(tail);
  // A stream cut mid-way (the server failed after the status line) ends without its last line end.
  if (last !== '' && !last.endsWith('\n'))
    throw new TdmError('TDM_ERR_EXPORT', 'the export stream from the API was cut before its end');
  return query.format === 'csv' ? Math.max(0, rows - 1) : rows;
}

/** Line ends in a chunk: one per row for NDJSON and CSV (CSV fields may hold quoted line breaks; a close count). */
function countRecords(format: RemovalFormat, text: string): number {
  if (format === 'json') return (text.match(/\n\{/g) ?? []).length;
  return (text.match(format === 'csv' ? /\r\n/g : /\n/g) ?? []).length;
}

async function* countRows<T>(rows: AsyncIterable<T>, onRow: () => void): AsyncGenerator<T> {
  for await (const row of rows) {
    onRow();
    yield row;
  }
}
