/**
 * What access control costs per request, on both backends:
 *   npx vitest bench --run services/results/bench
 * The token lookup alone (one probe of the unique index on the hash), and a whole audited
 * read (GET /v1/items/:id through inject: lookup, route, audit row) with auth off, with
 * the operator's admin token (compared in memory, no lookup) and with a token from the
 * store. docs/security.md quotes the figures.
 */
import { bench, describe } from 'vitest';
import { hashToken } from '@tdm/results';
import { BACKENDS, TEST_ADMIN_TOKEN, bearer, openHarness, postReports } from '../test/support.js';

const OPTIONS = { iterations: 200, time: 1000, warmupIterations: 20, throws: true };

for (const backend of BACKENDS) {
  const on = await openHarness(backend);
  const off = await openHarness(backend, { auth: { enabled: false } });
  const [answer] = await postReports(on.app, [{ url: 'https://example.org/bench.jpg', reportId: 'b' }]);
  await postReports(off.app, [{ url: 'https://example.org/bench.jpg', reportId: 'b' }]);
  const itemId = answer?.itemId as number;
  const created = await on.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { name: 'bench', scopes: ['items:read'] },
  });
  const token = created.json<{ token: string }>().token;
  const hash = hashToken(token);

  describe(`access control on ${backend.name}`, () => {
    bench(
      'findTokenByHash (the per-request lookup)',
      async () => {
        await on.store.findTokenByHash(hash);
      },
      OPTIONS,
    );
    bench(
      'GET /v1/items/:id, TDM_AUTH=off (audit row only)',
      async () => {
        await off.anonymous({ url: `/v1/items/${itemId}` });
      },
      OPTIONS,
    );
    bench(
      'GET /v1/items/:id, operator admin token (no lookup)',
      async () => {
        await on.anonymous({ url: `/v1/items/${itemId}`, headers: bearer(TEST_ADMIN_TOKEN) });
      },
      OPTIONS,
    );
    bench(
      'GET /v1/items/:id, token from the store (lookup)',
      async () => {
        await on.anonymous({ url: `/v1/items/${itemId}`, headers: bearer(token) });
      },
      {
        ...OPTIONS,
        // tinybench also tears down after the warm-up: close only after the measured run.
        teardown: async (_task, mode) => {
          if (mode !== 'run') return;
          await on.close();
          await off.close();
        },
      },
    );
  });
}
