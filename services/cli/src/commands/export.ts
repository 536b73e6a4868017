/** `tdm export`: the removals in a time window, as the API's /v1/removals gives them. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseTimestampOption } from '../import/timestamps.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { encodeRemovals, type RemovalFormat } from '@tdm/results';
import { createRuntime } from '../runtime/runtime.js';
import { openConfiguredStore } from '../runtime/services.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export removal episodes (every confirmed removal) as CSV, NDJSON or JSON',
  help: `Usage: tdm export [--since ISO] [--until ISO] [--format csv|ndjson|json] [--output FILE]

Writes every removal episode whose confirmed removal (offlineAt) falls in [since, until),
oldest first, with reportedAt, noticeSentAt, lastOnlineAt, offlineAt, confirmedAt, reason,
time to removal, episode number and reappearedAt (an item removed twice has two rows). Reads DATABASE_URL or the embedded store.

Options:
  --since ISO    start of the window (inclusive)
  --until ISO    end of the window (exclusive)
  --format F     csv (default), ndjson or json
  --output FILE  write there instead of standard output`,
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string' },
  },
  async run({ values, stdout }) {
    const format = (values['format'] as string | undefined) ?? 'csv';
    if (format !== 'csv' && format !== 'ndjson' && format !== 'json') {
      throw new UsageError(`--format must be csv, ndjson or json, got "${format}"`);
    }
    const since = parseTimestampOption('since', values['since']);
    const until = parseTimestampOption('until', values['until']);
    const rt = createRuntime('export');
    const out = typeof values['output'] === 'string' ? createWriteStream(values['output']) : stdout;
    let rows = 0;
    try {
      const store = await openConfiguredStore(rt);
      // The same encoder as GET /v1/removals, so the file and the API agree byte for byte.
      const rowsCounted = countRows(store.removals({ since, until }), () => rows++)[Symbol.asyncIterator]();
      for await (const chunk of encodeRemovals(
        format as RemovalFormat,
        await rowsCounted.next(),
        rowsCounted,
      )) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
    } finally {
      await rt.lifecycle.stop();
    }
    if (out !== stdout) {
      out.end();
      await once(out, 'finish');
      process.stderr.write(`exported ${rows} removals to ${String(values['output'])}\n`);
    }
    return 0;
  },
};

async function* countRows<T>(rows: AsyncIterable<T>, onRow: () => void): AsyncGenerator<T> {
  for await (const row of rows) {
    onRow();
    yield row;
  }
}
