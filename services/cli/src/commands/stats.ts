/** `tdm stats` and `tdm report`: the analysts' figures from a running results service. */
import { writeFileSync } from 'node:fs';
import type { RemovalStatsGroup } from '@tdm/core';
import { humanDuration, keyText, percent } from '@tdm/report';
import { apiClientFor } from '../access/api-client.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { createRuntime } from '../runtime/runtime.js';

const CLIENT_OPTIONS = {
  api: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

function query(values: Record<string, string | boolean | undefined>, extra: Record<string, string>): string {
  const params = new URLSearchParams();
  if (typeof values['by'] === 'string') params.set('groupBy', values['by']);
  if (typeof values['since'] === 'string') params.set('noticeSince', values['since']);
  if (typeof values['until'] === 'string') params.set('noticeUntil', values['until']);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The statistics as a fixed-width text table. */
export function statsTable(
  answer: { within: string[]; groups: RemovalStatsGroup[] },
  groupBy: string,
): string {
  const header = [
    groupBy,
    'items',
    'removed',
    'open',
    ...answer.within.map((w) => `≤${w}`),
    'median',
    'p90',
    'met',
    'missed',
    'overdue',
    'gone1st',
  ];
  const rows = answer.groups.map((g) => [
    keyText(g.key),
    String(g.items),
    String(g.removed),
    String(g.open),
    ...answer.within.map((w) => percent(g.removedWithin[w])),
    humanDuration(g.medianSeconds),
    humanDuration(g.p90Seconds),
    String(g.deadline.met),
    String(g.deadline.missed),
    String(g.deadline.overdue),
    String(g.goneBeforeFirstCheck),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'removal statistics per hoster (or asn, country, …) from the results service',
  help: `Usage: tdm stats [--by hoster] [--since ISO] [--until ISO] [--within 1h,12h,24h,7d] [--format table|csv|json]
                 [--api URL] [--token-file FILE]

Asks a running results service (GET /v1/stats/removals) for the share removed within
each duration (Kaplan–Meier), median and p90 time to removal and deadline compliance,
per group of items whose notice falls in [since, until). docs/analysis.md explains them.

Options:
  --by F            hoster (default), asn, country, registrableDomain, source, noticeMonth;
                    two comma-separated for two levels
  --since, --until  the notice window (ISO-8601 with zone)
  --within LIST     durations (default 1h,12h,24h,7d)
  --format F        table (default), csv or json
  --api URL         the results service (default: http://TDM_LISTEN)
  --token-file F    a file holding the API token (else TDM_TOKEN, else the admin token)`,
  options: {
    by: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    within: { type: 'string' },
    format: { type: 'string' },
    ...CLIENT_OPTIONS,
  },
  async run({ values, stdout }) {
    const format = (values['format'] as string | undefined) ?? 'table';
    if (!['table', 'csv', 'json'].includes(format))
      throw new UsageError(`--format must be table, csv or json, got "${format}"`);
    const rt = createRuntime('stats');
    try {
      const client = apiClientFor(rt.config, values);
      const extra: Record<string, string> = { format: format === 'csv' ? 'csv' : 'json' };
      if (typeof values['within'] === 'string') extra['within'] = values['within'];
      const body = await (await client.request('GET', `/v1/stats/removals${query(values, extra)}`)).text();
      if (format === 'table') {
        const answer = JSON.parse(body) as { groupBy: string; within: string[]; groups: RemovalStatsGroup[] };
        stdout.write(statsTable(answer, answer.groupBy));
      } else stdout.write(body.endsWith('\n') ? body : body + '\n');
    } finally {
      await rt.lifecycle.stop();
    }
    return 0;
  },
};

export const reportCommand: Command = {
  name: 'report',
  summary: 'write the ranking report (one self-contained HTML file, no URLs)',
  help: `Usage: tdm report [--since ISO] [--until ISO] [--by hoster] [-o report.html] [--api URL] [--token-file FILE]

Saves GET /v1/report.html of a running results service: hosters ranked by the share
removed within the deadline, with counts, median and p90 with intervals, overdue counts
and the survival curves of the largest ones. It holds no URL and can be published.

Options:
  --since, --until  the notice window (ISO-8601 with zone)
  --by F            hoster (default) or another group field
  -o, --output F    the file (default report.html)`,
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    by: { type: 'string' },
    output: { type: 'string', short: 'o' },
    ...CLIENT_OPTIONS,
  },
  async run({ values, stderr }) {
    const rt = createRuntime('report');
    try {
      const client = apiClientFor(rt.config, values);
      const html = await (await client.request('GET', `/v1/report.html${query(values, {})}`)).text();
      const file = (values['output'] as string | undefined) ?? 'report.html';
      writeFileSync(file, html);
      stderr.write(`wrote ${file}\n`);
    } finally {
      await rt.lifecycle.stop();
    }
    return 0;
  },
};
