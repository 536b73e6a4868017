/** The CSV form of GET /v1/stats/removals: one row per group, flat columns. */
import type { RemovalStatsGroup } from '@tdm/core';
import { csvField } from './removal-format.js';
import type { StatsQuery } from './stats-query.js';

export function statsCsv(query: StatsQuery, groups: readonly RemovalStatsGroup[]): string {
  const header = [
    ...query.groupBy,
    'items',
    'removed',
    'open',
    'reappeared',
    'goneBeforeFirstCheck',
    ...query.within.flatMap((w) => [`removedWithin ${w.label}`, `low ${w.label}`, `high ${w.label}`]),
    'medianSeconds',
    'p90Seconds',
    'medianCi95Low',
    'medianCi95High',
    'deadlineMet',
    'deadlineMissed',
    'deadlineOpen',
    'deadlineOverdue',
  ];
  const lines = [header.map(csvField).join(',')];
  for (const group of groups) {
    const keys = Array.isArray(group.key) ? group.key : [group.key];
    lines.push(
      [
        ...keys,
        group.items,
        group.removed,
        group.open,
        group.reappeared,
        group.goneBeforeFirstCheck,
        ...query.within.flatMap((w) => [
          group.removedWithin[w.label],
          group.removedWithinBounds[w.label]?.[0],
          group.removedWithinBounds[w.label]?.[1],
        ]),
        group.medianSeconds,
        group.p90Seconds,
        group.medianCi95[0],
        group.medianCi95[1],
        group.deadline.met,
        group.deadline.missed,
        group.deadline.open,
        group.deadline.overdue,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
