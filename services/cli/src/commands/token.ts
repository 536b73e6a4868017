/** `tdm token create|list|revoke`: API tokens, through the API (or the store, for the first admin). */
import { loadConfig } from '@tdm/core';
import { SCOPES, isScope } from '@tdm/results';
import { apiClientFor } from '../access/api-client.js';
import { createAdminToken } from '../access/admin-token.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { renderTable } from '../demo/table.js';
import { parseTimestampOption } from '../import/timestamps.js';
import { createRuntime } from '../runtime/runtime.js';
import { openConfiguredStore } from '../runtime/services.js';

interface TokenView {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function scopesOption(value: string | boolean | undefined): string[] {
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError('--scope is required (comma-separated)');
  const scopes = value.split(',').map((scope) => scope.trim());
  for (const scope of scopes) {
    if (!isScope(scope))
      throw new UsageError(`--scope: unknown scope "${scope}" (scopes: ${SCOPES.join(', ')})`);
  }
  return scopes;
}

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create, list or revoke API tokens',
  help: `Usage: tdm token create --name NAME --scope S1,S2 [--expires ISO]
       tdm token create --bootstrap [--name NAME]
       tdm token list
       tdm token revoke ID

Manages the results API's bearer tokens through the API (admin scope). Scopes:
${SCOPES.join(', ')} (admin implies all). \`create\` prints the token
on standard output, once (it cannot be read again), and its id on standard error.

--bootstrap writes an admin token straight into the store (DATABASE_URL or the embedded
store) instead: for the first admin of a cluster, or to regain access.

Options:
  --name NAME        the token's name (who or what uses it)
  --scope S1,S2      its scopes
  --expires ISO      expiry (ISO-8601 date-time); default: none
  --bootstrap        create an admin token in the store directly
  --api URL          results service base URL (default: http://<TDM_LISTEN>)
  --token-file FILE  file with the admin token to send (default: TDM_TOKEN, else <dataDir>/admin.token)`,
  options: {
    name: { type: 'string' },
    scope: { type: 'string' },
    expires: { type: 'string' },
    bootstrap: { type: 'boolean' },
    api: { type: 'string' },
    'token-file': { type: 'string' },
  },
  async run({ values, positionals, stdout, stderr }) {
    const [action, ...rest] = positionals;
    if (action === 'create' && values['bootstrap']) {
      if (rest.length > 0) throw new UsageError('token create takes no arguments');
      const rt = createRuntime('token');
      try {
        const store = await openConfiguredStore(rt);
        const name = typeof values['name'] === 'string' ? values['name'] : 'bootstrap admin';
        const created = await createAdminToken(store, name, false);
        stderr.write(
          `created admin token ${created?.id ?? ''} ("${name}") in the store (${store.kind}); shown once:\n`,
        );
        stdout.write(`${created?.token ?? ''}\n`);
      } finally {
        await rt.lifecycle.stop();
      }
      return 0;
    }
    const client = apiClientFor(loadConfig(), values);
    if (action === 'create') {
      if (rest.length > 0) throw new UsageError('token create takes no arguments');
      if (typeof values['name'] !== 'string' || values['name'] === '')
        throw new UsageError('--name is required');
      const expires = parseTimestampOption('expires', values['expires']);
      const body = {
        name: values['name'],
        scopes: scopesOption(values['scope']),
        ...(expires ? { expiresAt: expires.toISOString() } : {}),
      };
      const response = await client.request('POST', '/v1/tokens', {
        type: 'application/json',
        text: JSON.stringify(body),
      });
      const created = (await response.json()) as {
        id: string;
        token: string;
        name: string;
        scopes: string[];
      };
      stderr.write(
        `created token ${created.id} ("${created.name}", ${created.scopes.join(',')}); shown once:\n`,
      );
      stdout.write(`${created.token}\n`);
      return 0;
    }
    if (action === 'list') {
      if (rest.length > 0) throw new UsageError('token list takes no arguments');
      const tokens = (await (await client.request('GET', '/v1/tokens')).json()) as TokenView[];
      stdout.write(
        renderTable(
          ['id', 'name', 'scopes', 'expires', 'created', 'last used', 'revoked'],
          tokens.map((t) => [
            t.id,
            t.name,
            t.scopes.join(','),
            t.expiresAt ?? '—',
            t.createdAt,
            t.lastUsedAt ?? '—',
            t.revokedAt ?? '—',
          ]),
        ),
      );
      return 0;
    }
    if (action === 'revoke') {
      const [id, ...more] = rest;
      if (id === undefined || more.length > 0) throw new UsageError('give exactly one token ID');
      await client.request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
      stdout.write(`revoked ${id}\n`);
      return 0;
    }
    throw new UsageError(action === undefined ? 'give create, list or revoke' : `unknown action "${action}"`);
  },
};
