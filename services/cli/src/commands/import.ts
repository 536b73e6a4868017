/** `tdm import FILE`: bulk reports from CSV or NDJSON, straight into the store or through the API. */
import { statSync } from 'node:fs';
import { TdmError, ValidationError, validateReport, type NormalizedReport } from '@tdm/core';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { ProgressBar } from '../import/progress.js';
import { formatFromPath, readReports, type ReportsFormat } from '../import/read-reports.js';
import { createRuntime } from '../runtime/runtime.js';
import { openConfiguredStore } from '../runtime/services.js';

const BATCH = 1000;
/** Rejected rows listed in the summary; the rest are counted. */
const SHOWN_REJECTS = 20;

interface Rejected {
  line: number;
  code: string;
  message: string;
}

type Sink = (batch: Array<{ line: number; raw: unknown; report: NormalizedReport | null }>) => Promise<{
  created: number;
  duplicate: number;
  rejected: Rejected[];
}>;

/** Posts a batch to a running results service, as NDJSON, and reads the per-report answers. */
function apiSink(baseUrl: string): Sink {
  return async (batch) => {
    const body = batch.map((row) => JSON.stringify(row.raw)).join('\n');
    const response = await fetch(new URL('/v1/reports', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    if (!response.ok)
      throw new TdmError(
        'TDM_ERR_IMPORT',
        `POST /v1/reports answered ${response.status}: ${await response.text()}`,
      );
    const answers = (await response.json()) as Array<{
      created?: boolean;
      error?: { code: string; message: string };
    }>;
    const outcome = { created: 0, duplicate: 0, rejected: [] as Rejected[] };
    answers.forEach((answer, index) => {
      const line = batch[index]?.line ?? 0;
      if (answer.error)
        outcome.rejected.push({ line, code: answer.error.code, message: answer.error.message });
      else if (answer.created) outcome.created++;
      else outcome.duplicate++;
    });
    return outcome;
  };
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import reports from a CSV or NDJSON file',
  help: `Usage: tdm import FILE [--format csv|ndjson] [--source NAME] [--api URL]

Reads reports (fields: url, reportId, source, reportedAt, noticeSentAt, sha256, sha1,
md5, mode, labels — CSV with a header row, labels as a JSON object; or one JSON
object per line) and adds them. Every row is validated like POST /v1/reports; bad rows
are rejected with their line and reason while the good ones are kept. Idempotent on
(source, reportId).

Writes to the database directly (DATABASE_URL or the embedded store), or with --api
to a running results service (needed while \`tdm up\` holds the embedded store).

Exit codes: 0 all rows imported, 3 some rows rejected, 1 the file could not be read.

Options:
  --format csv|ndjson  file format (default: from the file name)
  --source NAME        source for rows without one (default "import")
  --api URL            results service base URL, e.g. http://127.0.0.1:8080`,
  options: { format: { type: 'string' }, source: { type: 'string' }, api: { type: 'string' } },
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
      throw new TdmError('TDM_ERR_IMPORT', `cannot read ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const source = (values['source'] as string | undefined) ?? 'import';
    const rt = createRuntime('import');
    let sink: Sink;
    if (typeof values['api'] === 'string') {
      sink = apiSink(values['api']);
    } else {
      const store = await openConfiguredStore(rt);
      sink = async (batch) => {
        const valid = batch.filter(
          (row): row is { line: number; raw: unknown; report: NormalizedReport } => row.report !== null,
        );
        const answers = await store.insertReports(valid.map((row) => row.report));
        const created = answers.filter((answer) => answer.created).length;
        return { created, duplicate: answers.length - created, rejected: [] };
      };
    }
    const totals = { rows: 0, created: 0, duplicate: 0 };
    const rejected: Rejected[] = [];
    const progress = new ProgressBar(stderr, size);
    let bytesApprox = 0;
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
        bytesApprox += JSON.stringify(row.value ?? '').length + 1;
        if (row.parseError !== undefined) {
          rejected.push({ line: row.line, code: 'TDM_ERR_FIELD', message: row.parseError });
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
            rejected.push({ line: row.line, code: error.code, message: error.message });
          }
        }
        if (batch.length >= BATCH) await flush();
        progress.update(bytesApprox, `${totals.rows} rows, ${rejected.length} rejected`);
      }
      await flush();
      progress.finish(`${totals.rows} rows, ${rejected.length} rejected`);
    } catch (error) {
      if (error instanceof TdmError) throw error;
      throw new TdmError('TDM_ERR_IMPORT', `${file}: ${(error as Error).message}`, { cause: error });
    } finally {
      await rt.lifecycle.stop();
    }
    stdout.write(
      `imported ${file}: ${totals.rows} rows, ${totals.created} new reports, ${totals.duplicate} already known, ${rejected.length} rejected\n`,
    );
    rejected.sort((a, b) => a.line - b.line);
    for (const reject of rejected.slice(0, SHOWN_REJECTS)) {
      stdout.write(`  line ${reject.line}: ${reject.code}: ${reject.message}\n`);
    }
    if (rejected.length > SHOWN_REJECTS)
      stdout.write(`  … and ${rejected.length - SHOWN_REJECTS} more rejected rows\n`);
    return rejected.length > 0 ? 3 : 0;
  },
};
