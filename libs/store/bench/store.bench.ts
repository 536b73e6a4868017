/**
 * Store throughput on both backends, in 1,000-row batches:
 *   npx vitest bench --run libs/store/bench
 * One operation = one batch of 1,000 rows, so rows/s = hz × 1,000. (Vitest's bench mode
 * runs no beforeAll/afterAll hooks: the harness is opened at module level and closed in
 * the last task's teardown.)
 */
import { bench, describe } from 'vitest';
import { APPLY, BACKENDS, openHarness, report, result, scheduling } from '../test/harness.js';

const BATCH = 1000;
const OPTIONS = { iterations: 10, time: 1, warmupIterations: 1, throws: true };

for (const kind of BACKENDS) {
  const h = await openHarness(kind, 'bench');
  const ids = (await h.store.insertReports(Array.from({ length: BATCH }, () => report()))).map(
    (r) => r.itemId,
  );
  let round = 0;
  const nextSlot = (): Date => new Date(Date.UTC(2026, 0, 5) + ++round * 60_000);

  describe(`store on ${kind}`, () => {
    bench(
      `insertReports: ${BATCH} new items`,
      async () => {
        await h.store.insertReports(Array.from({ length: BATCH }, () => report()));
      },
      OPTIONS,
    );

    bench(
      `insertReports: ${BATCH} repeats`,
      async () => {
        await h.store.insertReports(
          Array.from({ length: BATCH }, (_, i) =>
            report({ reportId: `repeat-${i}`, url: `http://repeat${i}.example/` }),
          ),
        );
      },
      OPTIONS,
    );

    bench(
      `applyResults: ${BATCH} results, check log on`,
      async () => {
        const slot = nextSlot();
        await h.store.applyResults(
          ids.map((id) => result(id, slot, round % 3 === 0 ? 'offline' : 'online')),
          APPLY,
        );
      },
      OPTIONS,
    );

    bench(
      `applyResults: ${BATCH} results, check log off`,
      async () => {
        const slot = nextSlot();
        await h.store.applyResults(
          ids.map((id) => result(id, slot, 'online')),
          { ...APPLY, checkLog: false },
        );
      },
      OPTIONS,
    );

    bench(
      `claimDueJobs: ${BATCH} items`,
      async () => {
        await h.db.query('UPDATE schedule SET next_check_at = $1 WHERE item_id = ANY($2::bigint[])', [
          new Date(Date.now() - 1000).toISOString(),
          ids,
        ]);
        await h.store.claimDueJobs(
          { now: new Date(), limit: BATCH, policy: scheduling(60_000) },
          async () => undefined,
        );
      },
      {
        ...OPTIONS,
        teardown: async (_task, mode) => {
          if (mode === 'run') await h.close();
        },
      },
    );
  });
}
