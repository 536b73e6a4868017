/** `tdm audit`: the audit log (who read which URLs, token and webhook changes), through the API. */
import { loadConfig } from '@tdm/core';
import { apiClientFor } from '../access/api-client.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { renderTable } from '../demo/table.js';
import { parseTimestampOption } from '../import/timestamps.js';

interface AuditView {
  at: string;
  tokenId: string | null;
  tokenName: string | null;
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  rows: number;
  client: string | null;
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'show the audit log: reads that returned URLs, token and webhook changes',
  help: `Usage: tdm audit [--since ISO] [--limit N] [--json]

Prints the audit rows from --since on (oldest first, at most --limit, default 1000):
time, token, request, query, status, rows returned, client address. Needs an admin token.

Options:
  --since ISO        first time shown (ISO-8601)
  --limit N          rows at most (1..10000)
  --json             one JSON object per line instead of a table
  --api URL          results service base URL (default: http://<TDM_LISTEN>)
  --token-file FILE  file with the token to send (default: TDM_TOKEN, else <dataDir>/admin.token)`,
  options: {
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    api: { type: 'string' },
    'token-file': { type: 'string' },
  },
  async run({ values, positionals, stdout }) {
    if (positionals.length > 0) throw new UsageError('audit takes no arguments');
    const since = parseTimestampOption('since', values['since']);
    const query = new URLSearchParams();
    if (since) query.set('since', since.toISOString());
    if (typeof values['limit'] === 'string') query.set('limit', values['limit']);
    const client = apiClientFor(loadConfig(), values);
    const rows = (await (await client.request('GET', `/v1/audit?${query.toString()}`)).json()) as AuditView[];
    if (values['json']) {
      for (const row of rows) stdout.write(JSON.stringify(row) + '\n');
      return 0;
    }
    stdout.write(
      renderTable(
        ['time', 'token', 'request', 'query', 'status', 'rows', 'client'],
        rows.map((r) => [
          r.at,
          r.tokenName ?? r.tokenId ?? '—',
          `${r.method} ${r.path}`,
          JSON.stringify(r.query),
          String(r.status),
          String(r.rows),
          r.client ?? '—',
        ]),
      ),
    );
    return 0;
  },
};
