/**
 * insertReports: a constant number of multi-row statements per batch, in one transaction.
 *
 * 1. Look up which `(source, reportId)` pairs already exist: those are repeats, they
 *    return the stored item and change nothing. A pair that names another URL than the
 *    stored one (or than its first occurrence in the batch) is a conflict: it changes
 *    nothing either, and the caller answers it as that report's error.
 * 2. Merge the new reports per URL (within the batch) and upsert the items: the earliest
 *    reportedAt and noticeSentAt, the first non-null expected hash, `browser` over `http`.
 *    Once an item's removal is confirmed its reportedAt and noticeSentAt are frozen: a
 *    later report (say with `noticeSentAt: 1970-01-01`) must not rewrite the measured
 *    time to removal; only an audited admin correction may (correctNoticeTime).
 * 3. Insert the reports `ON CONFLICT DO NOTHING`; a pair inserted concurrently by another
 *    transaction meanwhile is resolved by reading it back.
 */
import { randomUUID } from 'node:crypto';
import type { Mode, NormalizedReport } from '@tdm/core';
import { TdmError } from '@tdm/core';
import type { Executor } from './executor.js';
import type { InsertReportsResult } from './store.js';

interface ItemDraft {
  url: string;
  originalUrl: string;
  host: string;
  registrableDomain: string;
  mode: Mode;
  sha256: string | null;
  sha1: string | null;
  md5: string | null;
  reportedAt: Date;
  noticeSentAt: Date | null;
}

const keyOf = (source: string, reportId: string): string => `${source}\u0000${reportId}`;

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function draftOf(report: NormalizedReport): ItemDraft {
  return {
    url: report.url,
    originalUrl: report.originalUrl,
    host: report.host,
    registrableDomain: report.registrableDomain,
    mode: report.mode,
    sha256: report.expected.sha256 ?? null,
    sha1: report.expected.sha1 ?? null,
    md5: report.expected.md5 ?? null,
    reportedAt: report.reportedAt,
    noticeSentAt: report.noticeSentAt,
  };
}

function merge(into: ItemDraft, report: NormalizedReport): void {
  into.reportedAt = earliest(into.reportedAt, report.reportedAt) ?? into.reportedAt;
  into.noticeSentAt = earliest(into.noticeSentAt, report.noticeSentAt);
  into.sha256 ??= report.expected.sha256 ?? null;
  into.sha1 ??= report.expected.sha1 ?? null;
  into.md5 ??= report.expected.md5 ?? null;
  if (report.mode === 'browser') into.mode = 'browser';
}

export async function insertReports(
  tx: Executor,
  reports: NormalizedReport[],
  now: Date,
): Promise<InsertReportsResult[]> {
  if (reports.length === 0) return [];
  const ids = reports.map((report) => report.reportId ?? randomUUID());

  // 1. Repeats of reports stored earlier, with the URL of their item.
  const stored = new Map<string, { itemId: number; url: string }>();
  const lookup = async (pairs: Array<{ source: string; id: string }>): Promise<void> => {
    if (pairs.length === 0) return;
    const rows = await tx.query<{ source: string; report_id: string; item_id: number | string; url: string }>(
      `SELECT r.source, r.report_id, r.item_id, i.url
         FROM reports r JOIN unnest($1::text[], $2::text[]) AS k(source, report_id) USING (source, report_id)
         JOIN items i ON i.item_id = r.item_id`,
      [pairs.map((p) => p.source), pairs.map((p) => p.id)],
    );
    for (const row of rows)
      stored.set(keyOf(row.source, row.report_id), { itemId: Number(row.item_id), url: row.url });
  };
  await lookup(reports.map((report, i) => ({ source: report.source, id: ids[i] as string })));

  // 2. The first occurrence of each new pair is the one inserted; merge per URL.
  const firstIndex = new Map<string, number>();
  const drafts = new Map<string, ItemDraft>();
  reports.forEach((report, i) => {
    const key = keyOf(report.source, ids[i] as string);
    if (stored.has(key) || firstIndex.has(key)) return;
    firstIndex.set(key, i);
    const draft = drafts.get(report.url);
    if (draft) merge(draft, report);
    else drafts.set(report.url, draftOf(report));
  });

  const itemIds = new Map<string, number>();
  const createdUrls = new Set<string>();
  if (drafts.size > 0) {
    // Sorted by URL, so two batches inserting the same new URLs wait on each other in one
    // order; existing items are locked first in item_id order, the order applyResults
    // locks them in, so a report batch and a result batch cannot deadlock either.
    const list = [...drafts.values()].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    await tx.query(
      `SELECT item_id FROM items
        WHERE url_key = ANY (SELECT tdm_url_key(u) FROM unnest($1::text[]) AS u)
        ORDER BY item_id FOR UPDATE`,
      [list.map((d) => d.url)],
    );
    const rows = await tx.query<{
      item_id: number | string;
      url: string;
      registrable_domain: string;
      inserted: boolean;
    }>(
      `INSERT INTO items AS i (url, original_url, host, registrable_domain, mode, sha256, sha1, md5,
                               reported_at, notice_sent_at)
       SELECT u.*
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::timestamptz[], $10::timestamptz[])
           AS u(url, original_url, host, registrable_domain, mode, sha256, sha1, md5, reported_at, notice_sent_at)
       ON CONFLICT (url_key) DO UPDATE SET
         reported_at    = CASE WHEN i.confirmed_at IS NULL THEN least(i.reported_at, excluded.reported_at)
                               ELSE i.reported_at END,
         notice_sent_at = CASE WHEN i.confirmed_at IS NULL THEN least(i.notice_sent_at, excluded.notice_sent_at)
                               ELSE i.notice_sent_at END,
         sha256         = coalesce(i.sha256, excluded.sha256),
         sha1           = coalesce(i.sha1, excluded.sha1),
         md5            = coalesce(i.md5, excluded.md5),
         mode           = CASE WHEN i.mode = 'browser' OR excluded.mode = 'browser' THEN 'browser' ELSE 'http' END
       RETURNING i.item_id, i.url, i.registrable_domain, (i.xmax = 0) AS inserted`,
      [
        list.map((d) => d.url),
        list.map((d) => d.originalUrl),
        list.map((d) => d.host),
        list.map((d) => d.registrableDomain),
        list.map((d) => d.mode),
        list.map((d) => d.sha256),
        list.map((d) => d.sha1),
        list.map((d) => d.md5),
        list.map((d) => d.reportedAt.toISOString()),
        list.map((d) => d.noticeSentAt?.toISOString() ?? null),
      ],
    );
    for (const row of rows) {
      itemIds.set(row.url, Number(row.item_id));
      if (row.inserted) createdUrls.add(row.url);
    }
    // A new item is due at once: its first check is not held back to the grid.
    const created = rows.filter((row) => row.inserted);
    if (created.length > 0) {
      await tx.query(
        `INSERT INTO schedule (item_id, registrable_domain, next_check_at)
         SELECT id, domain, $3::timestamptz FROM unnest($1::bigint[], $2::text[]) AS u(id, domain)`,
        [
          created.map((row) => Number(row.item_id)),
          created.map((row) => row.registrable_domain),
          now.toISOString(),
        ],
      );
    }
  }

  // 3. Insert the new reports.
  const fresh = [...firstIndex.values()].sort((a, b) => a - b);
  const createdKeys = new Set<string>();
  if (fresh.length > 0) {
    const pick = <T>(f: (r: NormalizedReport, i: number) => T): T[] =>
      fresh.map((i) => f(reports[i] as NormalizedReport, i));
    const rows = await tx.query<{ source: string; report_id: string }>(
      `INSERT INTO reports (source, report_id, id_generated, item_id, original_url, reported_at, notice_sent_at,
                            sha256, sha1, md5, mode, labels)
       SELECT u.source, u.report_id, u.id_generated, u.item_id, u.original_url, u.reported_at, u.notice_sent_at,
              u.sha256, u.sha1, u.md5, u.mode, u.labels::jsonb
         FROM unnest($1::text[], $2::text[], $3::boolean[], $4::bigint[], $5::text[], $6::timestamptz[],
                     $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS u(source, report_id, id_generated, item_id, original_url, reported_at, notice_sent_at,
                sha256, sha1, md5, mode, labels)
       ON CONFLICT (source, report_id) DO NOTHING
       RETURNING source, report_id`,
      [
        pick((r) => r.source),
        pick((_r, i) => ids[i]),
        pick((r) => r.reportId === null),
        pick((r) => itemIds.get(r.url)),
        pick((r) => r.originalUrl),
        pick((r) => r.reportedAt.toISOString()),
        pick((r) => r.noticeSentAt?.toISOString() ?? null),
        pick((r) => r.expected.sha256 ?? null),
        pick((r) => r.expected.sha1 ?? null),
        pick((r) => r.expected.md5 ?? null),
        pick((r) => r.mode),
        pick((r) => JSON.stringify(r.labels ?? {})),
      ],
    );
    for (const row of rows) createdKeys.add(keyOf(row.source, row.report_id));
    // Pairs that a concurrent transaction stored between step 1 and here.
    const raced = fresh
      .map((i) => ({ source: (reports[i] as NormalizedReport).source, id: ids[i] as string }))
      .filter((p) => !createdKeys.has(keyOf(p.source, p.id)));
    await lookup(raced);
  }

  const firstOfItem = new Set<string>();
  return reports.map((report, i) => {
    const reportId = ids[i] as string;
    const key = keyOf(report.source, reportId);
    const first = firstIndex.get(key);
    const created = createdKeys.has(key) && first === i;
    // A repeat within the batch resolves to the item of the pair's first occurrence.
    const firstUrl = first === undefined ? undefined : (reports[first] as NormalizedReport).url;
    const resolved =
      createdKeys.has(key) && firstUrl !== undefined
        ? { itemId: itemIds.get(firstUrl), url: firstUrl }
        : stored.get(key);
    if (resolved?.itemId === undefined)
      throw new TdmError('TDM_ERR_STORE_INTERNAL', `insertReports: no item resolved for report ${reportId}`);
    const conflict = resolved.url !== report.url;
    // itemCreated marks the first report (in input order) of an item this call created.
    const itemCreated = created && createdUrls.has(report.url) && !firstOfItem.has(report.url);
    if (itemCreated) firstOfItem.add(report.url);
    return { reportId, itemId: resolved.itemId, created, itemCreated, conflict };
  });
}
