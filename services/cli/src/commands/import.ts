/** `tdm import FILE`: bulk reports from CSV or NDJSON, straight into the store or through the API. */
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { TdmError, ValidationError, validateReport, type NormalizedReport } from '@tdm/core';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { ImportError } from '../import/import-error.js';
import { ProgressBar } from '../import/progress.js';
import { formatFromPath, readReports, type ReportsFormat } from '../import/read-reports.js';
import { apiClientFor, type ApiClient } from '../access/api-client.js';
import { createRuntime } from '../runtime/runtime.js';
import { openConfiguredStore } from '../runtime/services.js';

const BATCH = 1000;
/** Rejected rows listed in the summary; the rest are counted. */
const SHOWN_REJECTS = 20;

interface Rejected {
  line: number;
  code: string;
  message: string;
  /** The row as read (null when it could not be parsed), for the --rejects file. */
  row: unknown;
}

type Sink = (batch: Array<{ line: number; raw: unknown; report: NormalizedReport | null }>) => Promise<{
  created: number;
  duplicate: number;
  rejected: Rejected[];
}>;

/** Posts a batch to a running results service, as NDJSON, and reads the per-report answers. */
function apiSink(client: ApiClient): Sink {
  return async (batch) => {
    const text = batch.map((row) => JSON.stringify(row.raw)).join('\n');
    const response = await client.request('POST', '/v1/reports', { type: 'application/x-ndjson', text });
    const answers = (await response.json()) as Array<{
      created?: boolean;
      error?: { code: string; message: string };
    }>;
    const outcome = { created: 0, duplicate: 0, rejected: [] as Rejected[] };
    answers.forEach((answer, index) => {
      const line = batch[index]?.line ?? 0;
      if (answer.error)
        outcome.rejected.push({
          line,
          code: answer.error.code,
          message: answer.error.message,
          row: batch[index]?.raw ?? null,
        });
      else if (answer.created) outcome.created++;
      else outcome.duplicate++;
    });
    return outcome;
  };
}

/** `TDM_ERR_URL_INVALID 3, TDM_ERR_TIMESTAMP 1`: most frequent first. */
function countsByCode(rejected: Rejected[]): string {
  const counts = new Map<string, number>();
  for (const { code } of rejected) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}

/** Every rejected row as one NDJSON line, in file order. */
async function writeRejects(file: string, rejected: Rejected[]): Promise<void> {
  const out = createWriteStream(file, { mode: 0o600 });
  for (const { line, code, message, row } of rejected) {
    if (!out.write(JSON.stringify({ line, code, message, row }) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import reports from a CSV or NDJSON file',
  help: `Usage: tdm import FILE [--format csv|ndjson] [--source NAME] [--api URL [--token-file FILE]] [--rejects FILE]

Reads reports (fields: url, reportId, source, reportedAt, noticeSentAt, sha256, sha1,
md5, mode, labels — CSV with a header row, labels as a JSON object; or one JSON
object per line) and adds them. Every row is validated like POST /v1/reports; bad rows
are rejected with their line and reason while the good ones are kept. Idempotent on
(source, reportId).

Writes to the database directly (DATABASE_URL or the embedded store), or with --api
to a running results service (needed while \`tdm up\` holds the embedded store).

The summary counts the rejected rows per error code and lists the first ${SHOWN_REJECTS};
--rejects FILE writes every rejected row to FILE as NDJSON ({line, code, message, row}),
ready to be fixed and imported again.

Exit codes: 0 all rows imported, 3 some rows rejected, 1 the file could not be read.

Options:
  --format csv|ndjson  file format (default: from the file name)
  --source NAME        source for rows without one (default "import")
  --api URL            results service base URL, e.g. http://127.0.0.1:8080
  --token-file FILE    file with a reports:write token for --api (default: TDM_TOKEN,
                       else <dataDir>/admin.token when it exists)
  --rejects FILE       write every rejected row, with its line and reason, to FILE (NDJSON)`,
  options: {
    format: { type: 'string' },
    source: { type: 'string' },
    api: { type: 'string' },
    'token-file': { type: 'string' },
    rejects: { type: 'string' },
  },
  async run({ values, positionals, stdout, stderr }) {
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('give exactly one FILE');
    const formatValue = (values['format'] as string | undefined) ?? formatFromPath(file);
    if (formatValue !== 'csv' && formatValue !== 'ndjson') {
      throw new UsageError(`cannot tell the format of "${file}": use --format csv or --format ndjson`);
    }
    const format: ReportsFormat = formatValue;
    let size: number;
    try {
      size = statSync(file).size;
    } catch (error) {
      throw new ImportError(`cannot read ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const source = (values['source'] as string | undefined) ?? 'import';
    const rt = createRuntime('import');
    let sink: Sink;
    if (typeof values['api'] === 'string') {
      sink = apiSink(apiClientFor(rt.config, values));
    } else {
      const store = await openConfiguredStore(rt);
      sink = async (batch) => {
        const valid = batch.filter(
          (row): row is { line: number; raw: unknown; report: NormalizedReport } => row.report !== null,
        );
        const answers = await store.insertReports(valid.map((row) => row.report));
        const created = answers.filter((answer) => answer.created).length;
        const conflicts: Rejected[] = [];
        answers.forEach((answer, i) => {
          const row = valid[i];
          if (answer.conflict && row)
            conflicts.push({
              line: row.line,
              code: 'TDM_ERR_REPORT_CONFLICT',
              message: `reportId "${answer.reportId}" is already stored for another URL`,
              row: row.raw,
            });
        });
        return { created, duplicate: answers.length - created - conflicts.length, rejected: conflicts };
      };
    }
    const totals = { rows: 0, created: 0, duplicate: 0 };
    const rejected: Rejected[] = [];
    const progress = new ProgressBar(stderr, size);
    try {
      let batch: Array<{ line: number; raw: unknown; report: NormalizedReport | null }> = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const outcome = await sink(batch);
        totals.created += outcome.created;
        totals.duplicate += outcome.duplicate;
        rejected.push(...outcome.rejected);
        batch = [];
      };
      const now = new Date();
      for await (const row of readReports(file, format)) {
        totals.rows++;
        if (row.parseError !== undefined) {
          rejected.push({ line: row.line, code: 'TDM_ERR_FIELD', message: row.parseError, row: null });
          continue;
        }
        if (typeof values['api'] === 'string') {
          // The API validates; send the row as read (with the default source filled in).
          const raw =
            typeof row.value === 'object' && row.value !== null ? { source, ...row.value } : row.value;
          batch.push({ line: row.line, raw, report: null });
        } else {
          try {
            batch.push({
              line: row.line,
              raw: row.value,
              report: validateReport(row.value, { now, source }),
            });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            rejected.push({ line: row.line, code: error.code, message: error.message, row: row.value });
          }
        }
        if (batch.length >= BATCH) await flush();
        // Bytes of the file read so far: the same unit as the file size the bar counts to.
        progress.update(row.offset, `${totals.rows} rows, ${rejected.length} rejected`);
      }
      await flush();
      progress.finish(`${totals.rows} rows, ${rejected.length} rejected`);
    } catch (error) {
      // Other typed errors (the store's, the configuration's) say what they are about;
      // the file's own errors, and anything untyped, are named with the file.
      if (error instanceof TdmError && !(error instanceof ImportError)) throw error;
      throw new ImportError(`${file}: ${(error as Error).message}`, { cause: error });
    } finally {
      await rt.lifecycle.stop();
    }
    stdout.write(
      `imported ${file}: ${totals.rows} rows, ${totals.created} new reports, ${totals.duplicate} already known, ${rejected.length} rejected\n`,
    );
    rejected.sort((a, b) => a.line - b.line);
    if (rejected.length > 0) stdout.write(`  rejected by reason: ${countsByCode(rejected)}\n`);
    for (const reject of rejected.slice(0, SHOWN_REJECTS)) {
      stdout.write(`  line ${reject.line}: ${reject.code}: ${reject.message}\n`);
    }
    if (typeof values['rejects'] === 'string') {
      await writeRejects(values['rejects'], rejected);
      stdout.write(`  every rejected row, with its line and reason: ${values['rejects']}\n`);
    } else if (rejected.length > SHOWN_REJECTS) {
      stdout.write(
        `  … and ${rejected.length - SHOWN_REJECTS} more rejected rows (--rejects FILE writes them all)\n`,
      );
    }
    return rejected.length > 0 ? 3 : 0;
  },
};
