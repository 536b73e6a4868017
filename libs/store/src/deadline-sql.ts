/**
 * The compliance rules as SQL expressions, written once and used by every read that
 * needs them (one item, the overdue list, the statistics), so the three never disagree.
 * `i` is the alias of `items`; `now` an SQL expression of type timestamptz (a parameter).
 *
 * - met / missed: the removal (`offline_at`, the first check of the confirmed run) came
 *   at or before / after the deadline;
 * - open / overdue: not removed (pending, online, or online again after a reappearance),
 *   the deadline ahead / passed;
 * - overrun: seconds online past the deadline, to the removal or to `now`.
 */

/** An item never seen online: already gone at its first check (its removal lies in (notice, first check]). */
export function goneBeforeFirstCheckSql(i: string): string {
  return `(${i}.state = 'offline' AND ${i}.last_online_at IS NULL)`;
}

export function deadlineStateSql(i: string, now: string): string {
  return `(CASE WHEN ${i}.state = 'offline'
                THEN CASE WHEN ${i}.offline_at <= ${i}.deadline_at THEN 'met' ELSE 'missed' END
                WHEN ${now} <= ${i}.deadline_at THEN 'open' ELSE 'overdue' END)`;
}

export function overrunSecondsSql(i: string, now: string): string {
  return `(CASE WHEN ${i}.state = 'offline'
                THEN greatest(0, extract(epoch FROM ${i}.offline_at - ${i}.deadline_at))
                ELSE greatest(0, extract(epoch FROM ${now} - ${i}.deadline_at)) END)::float8`;
}
