/**
 * Keeps the raw check log bounded: creates the coming days' partitions ahead and drops
 * the partitions older than the retention, at start and then every hour. Dropping a
 * whole partition is instant and leaves no bloat, unlike DELETE.
 */
import type { Config } from '@tdm/core';
import type { Store } from '@tdm/store';
import type { Logger } from '@tdm/telemetry';

const EVERY_MS = 3600_000;

export interface CheckLogMaintenance {
  stop(): void;
}

export function startCheckLogMaintenance(store: Store, config: Config, logger: Logger): CheckLogMaintenance {
  if (!config.checkLog) return { stop() {} };
  const run = async (): Promise<void> => {
    try {
      const { dropped } = await store.maintainCheckLog(new Date(), config.checkLogRetentionMs);
      if (dropped.length > 0) logger.info({ dropped }, 'dropped check log partitions past the retention');
    } catch (error) {
      logger.error({ err: error }, 'check log maintenance failed; will retry in an hour');
    }
  };
  void run();
  const timer = setInterval(() => void run(), EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
