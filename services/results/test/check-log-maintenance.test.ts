import { describe, expect, it } from 'vitest';
import { loadConfig, validateReport } from '@tdm/core';
import { startCheckLogMaintenance } from '@tdm/results';
import { pollUntil } from '@tdm/test-helpers';
import { BACKENDS, checkResult, silentLogger } from './support.js';

describe.each(BACKENDS)('check log maintenance on $name', (backend) => {
  it('drops the days past the retention at start and keeps the recent ones', async () => {
    const { store, cleanup } = await backend.open();
    try {
      const now = Date.now();
      const report = validateReport(
        { url: 'http://img.example.com/a.jpg' },
        { now: new Date(now - 50 * 86_400_000), source: 't' },
      );
      const [inserted] = await store.insertReports([report]);
      const itemId = inserted!.itemId;
      const old = new Date(now - 40 * 86_400_000).toISOString();
      const recent = new Date(now - 3_600_000).toISOString();
      const options = {
        policy: { confirmDefinitive: 2, confirmTransient: 4, confirmTransientMinSpanMs: 0 },
        confirmRecheckDelayMs: 0,
        checkLog: true,
      };
      await store.applyResults(
        [checkResult(itemId, old, 'online'), checkResult(itemId, recent, 'online')],
        options,
      );
      expect((await store.listChecks(itemId)).length).toBe(2);

      const config = loadConfig({ env: {}, overrides: { checkLogRetention: '30d' } });
      const maintenance = startCheckLogMaintenance(store, config, silentLogger());
      try {
        const left = await pollUntil(
          () => store.listChecks(itemId),
          (checks) => checks.length <= 1,
          { timeoutMs: 10_000, intervalMs: 50 },
        );
        expect(left.map((check) => check.scheduledAt)).toEqual([recent]);
      } finally {
        maintenance.stop();
      }
    } finally {
      await cleanup();
    }
  });
});
