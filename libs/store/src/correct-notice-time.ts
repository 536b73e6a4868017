/**
 * The one way an item's notice time moves after its removal is confirmed: an admin's
 * correction. The old value is kept in `item_corrections` (append-only, with the reason
 * and who made it), the item takes the new one, in one transaction.
 */
import type { Executor } from './executor.js';

export interface NoticeCorrection {
  /** The corrected notice time; null removes it (time to removal then counts from reportedAt). */
  noticeSentAt: Date | null;
  /** Why: kept with the old value. */
  reason: string;
  /** Who: the token's name when the API knows it. */
  correctedBy: string | null;
}

/** Applies a correction; false when there is no such item. */
export async function correctNoticeTime(
  tx: Executor,
  itemId: number,
  correction: NoticeCorrection,
): Promise<boolean> {
  const rows = await tx.query<{ item_id: number | string }>(
    `WITH old AS (SELECT item_id, notice_sent_at FROM items WHERE item_id = $1 FOR UPDATE),
          kept AS (
            INSERT INTO item_corrections (item_id, field, old_value, new_value, reason, corrected_by)
            SELECT item_id, 'noticeSentAt', notice_sent_at, $2::timestamptz, $3, $4 FROM old
          )
     UPDATE items AS i SET notice_sent_at = $2::timestamptz FROM old WHERE i.item_id = old.item_id
     RETURNING i.item_id`,
    [itemId, correction.noticeSentAt?.toISOString() ?? null, correction.reason, correction.correctedBy],
  );
  return rows.length > 0;
}
