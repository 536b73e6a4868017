/**
 * Keeps the audit log within its retention (TDM_AUDIT_RETENTION, default 400 days): prunes
 * older rows at start and then every hour. Safe from several services at once.
 */
import type { Store } from '@tdm/store';
import type { Logger } from '@tdm/telemetry';

const EVERY_MS = 3600_000;

export interface AuditMaintenance {
  stop(): void;
}

export function startAuditMaintenance(store: Store, retentionMs: number, logger: Logger): AuditMaintenance {
  const run = async (): Promise<void> => {
    try {
      const deleted = await store.pruneAudit(new Date(Date.now() - retentionMs));
      if (deleted > 0) logger.info({ deleted }, 'pruned audit rows past the retention');
    } catch (error) {
      logger.error({ err: error }, 'audit retention prune failed; will retry in an hour');
    }
  };
  void run();
  const timer = setInterval(() => void run(), EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
