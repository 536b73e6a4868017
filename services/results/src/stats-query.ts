/**
 * The query of the statistics routes (GET /v1/stats/removals, /v1/stats/survival,
 * /v1/report.html): group fields, the notice window and the `within` durations, checked
 * once here with the documented error codes.
 */
import { GROUP_BY_FIELDS, parseDuration, TdmError, type GroupByField } from '@tdm/core';
import { ApiError } from './errors.js';
import { parseQueryTimestamp } from './timestamps.js';

/** @default '1h,12h,24h,7d' */
export const DEFAULT_WITHIN = '1h,12h,24h,7d';
/** Most durations in one `within`. */
export const MAX_WITHIN = 20;

export interface StatsQueryText {
  groupBy?: string;
  noticeSince?: string;
  noticeUntil?: string;
  within?: string;
}

export interface StatsQuery {
  /** As given, normalised (`hoster`, `hoster,noticeMonth`). */
  groupByText: string;
  groupBy: GroupByField[];
  noticeSince?: Date;
  noticeUntil?: Date;
  within: Array<{ label: string; seconds: number }>;
}

export function parseGroupBy(text: string | undefined): GroupByField[] {
  const parts = (text ?? 'hoster').split(',').map((part) => part.trim());
  const known: ReadonlySet<string> = new Set(GROUP_BY_FIELDS);
  const bad = parts.find((part) => !known.has(part));
  if (bad !== undefined)
    throw new ApiError('TDM_ERR_GROUP_BY', `groupBy: "${bad}" is not one of ${GROUP_BY_FIELDS.join(', ')}`);
  if (parts.length > 2)
    throw new ApiError('TDM_ERR_GROUP_BY', 'groupBy: at most two levels (e.g. hoster,noticeMonth)');
  if (parts.length === 2 && parts[0] === parts[1])
    throw new ApiError('TDM_ERR_GROUP_BY', `groupBy: "${parts[0]}" twice`);
  return parts as GroupByField[];
}

export function parseWithin(text: string | undefined): Array<{ label: string; seconds: number }> {
  const parts = (text ?? DEFAULT_WITHIN).split(',').map((part) => part.trim());
  if (parts.length > MAX_WITHIN)
    throw new ApiError('TDM_ERR_DURATION', `within: at most ${MAX_WITHIN} durations`);
  return parts.map((label) => {
    let ms: number;
    try {
      ms = parseDuration(label);
    } catch (error) {
      if (!(error instanceof TdmError)) throw error;
      throw new ApiError(
        'TDM_ERR_DURATION',
        `within: "${label}" is not a duration (use e.g. 1h, 12h, 24h, 7d)`,
      );
    }
    if (!(ms > 0)) throw new ApiError('TDM_ERR_DURATION', `within: "${label}" must be longer than 0`);
    return { label, seconds: ms / 1000 };
  });
}

export function parseStatsQuery(query: StatsQueryText): StatsQuery {
  const groupBy = parseGroupBy(query.groupBy);
  const noticeSince = parseQueryTimestamp('noticeSince', query.noticeSince);
  const noticeUntil = parseQueryTimestamp('noticeUntil', query.noticeUntil);
  if (noticeSince && noticeUntil && noticeUntil < noticeSince)
    throw new ApiError('TDM_ERR_TIMESTAMP', 'noticeUntil is before noticeSince');
  return {
    groupByText: groupBy.join(','),
    groupBy,
    ...(noticeSince ? { noticeSince } : {}),
    ...(noticeUntil ? { noticeUntil } : {}),
    within: parseWithin(query.within),
  };
}
