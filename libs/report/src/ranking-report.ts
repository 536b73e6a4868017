/**
 * The ranking report: one self-contained HTML page (inline CSS and SVG, no script, no
 * external asset, no URL) meant to be published. It ranks the groups (hosters) by the
 * share removed within the deadline, with counts, median and p90 time to removal and
 * their intervals, deadline compliance, and the Kaplan–Meier curves of the largest
 * groups. It renders figures given to it; it does no I/O.
 */
import type { GroupKey, RemovalStatsGroup, SurvivalPoint } from '@tdm/core';
import { escapeHtml, humanDuration, percent } from './format.js';
import { survivalSvg } from './survival-svg.js';

export interface RankingReportInput {
  title?: string;
  /** What the groups are (`hoster`). */
  groupBy: string;
  generatedAt: Date;
  noticeSince: Date | null;
  noticeUntil: Date | null;
  /** The `within` label that is the deadline (e.g. `24h`): a key of removedWithin. */
  deadlineLabel: string;
  deadlineSeconds: number;
  groups: readonly RemovalStatsGroup[];
  /** Curves by group key (JSON of the key); the report draws those of the top groups. */
  curves: ReadonlyMap<string, readonly SurvivalPoint[]>;
  /** Curves drawn: the groups with the most items. @default 5 */
  topCurves?: number;
  /** Where the reports came from (sources), named on the page. */
  sources: readonly string[];
  /** The attribution dataset(s) named on the page (e.g. "operator hoster table; DB-IP ASN Lite 2025-11"). */
  attribution: string;
  /** The check grid, e.g. "every 15 min for 24 h, then hourly" (for the bracket statement). */
  checkGrid: string;
}

export function keyText(key: GroupKey): string {
  if (key === null) return '(unattributed)';
  if (Array.isArray(key)) return key.map(keyText).join(' / ');
  return String(key);
}

/** Ranked: by share removed within the deadline (highest first), then by items, then name. */
export function rankGroups(groups: readonly RemovalStatsGroup[], deadlineLabel: string): RemovalStatsGroup[] {
  const share = (g: RemovalStatsGroup): number => g.removedWithin[deadlineLabel] ?? -1;
  return [...groups].sort(
    (a, b) => share(b) - share(a) || b.items - a.items || keyText(a.key).localeCompare(keyText(b.key)),
  );
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #111; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.meta { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ccc; padding: .3rem .45rem; text-align: right; vertical-align: top; }
th:nth-child(2), td:nth-child(2) { text-align: left; }
thead th { border-bottom: 2px solid #333; font-weight: 600; }
small, .note { color: #555; }
td small { white-space: nowrap; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: 1.6rem; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: .3rem; }
figure { margin: 1rem 0; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  tr, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}`;

const LEGEND_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

export function renderRankingReport(input: RankingReportInput): string {
  const ranked = rankGroups(input.groups, input.deadlineLabel);
  const label = escapeHtml(input.deadlineLabel);
  const date = (d: Date | null): string => (d === null ? 'open' : d.toISOString().slice(0, 10));
  const totalItems = input.groups.reduce((sum, g) => sum + g.items, 0);
  const rows = ranked.map((group, index) => {
    const bounds = group.removedWithinBounds[input.deadlineLabel];
    const [lo, hi] = group.medianCi95;
    return `<tr data-key="${escapeHtml(keyText(group.key))}">
<td>${index + 1}</td><td>${escapeHtml(keyText(group.key))}</td><td>${group.items}</td>
<td><strong>${percent(group.removedWithin[input.deadlineLabel])}</strong>${bounds ? `<br><small>${percent(bounds[0])}–${percent(bounds[1])}</small>` : ''}</td>
<td>${humanDuration(group.medianSeconds)}<br><small>${lo === null ? 'not reached' : `${humanDuration(lo)}–${hi === null ? 'open' : humanDuration(hi)}`}</small></td>
<td>${humanDuration(group.p90Seconds)}</td>
<td>${group.deadline.met}</td><td>${group.deadline.missed}</td><td>${group.deadline.overdue}</td><td>${group.open}</td><td>${group.goneBeforeFirstCheck}</td>
</tr>`;
  });
  const top = [...input.groups]
    .sort((a, b) => b.items - a.items)
    .slice(0, input.topCurves ?? 5)
    .map((group) => ({
      name: keyText(group.key),
      points: input.curves.get(JSON.stringify(group.key)) ?? [],
    }));
  const longest = Math.max(
    input.deadlineSeconds * 2,
    ...top.map((curve) => curve.points.reduce((max, p) => (p.events > 0 ? Math.max(max, p.time) : max), 0)),
  );
  const maxSeconds = Math.min(longest, Math.max(input.deadlineSeconds * 7, 7 * 86400));
  const legend = top
    .map(
      (curve, i) =>
        `<span><i style="border-color:${LEGEND_COLOURS[i % LEGEND_COLOURS.length]}"></i>${escapeHtml(curve.name)}</span>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title ?? 'Removal after notice, by ' + input.groupBy)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title ?? 'Removal after notice, by ' + input.groupBy)}</h1>
<p class="meta">${input.noticeSince === null && input.noticeUntil === null ? 'All notices' : `Notices from ${date(input.noticeSince)} to ${date(input.noticeUntil)} (UTC)`} · ${totalItems} reported items in ${input.groups.length} groups · generated ${escapeHtml(input.generatedAt.toISOString().slice(0, 16).replace('T', ' '))} UTC</p>
<p class="meta">Data sources: ${escapeHtml(input.sources.join(', ') || 'none')} · Attribution: ${escapeHtml(input.attribution)}</p>

<h2>Ranking by share removed within ${label}</h2>
<table id="ranking">
<thead><tr><th>#</th><th>${escapeHtml(input.groupBy)}</th><th>items</th><th>removed within ${label}<br><small>bracket</small></th><th>median<br><small>95% interval</small></th><th>p90</th><th>deadline met</th><th>missed</th><th>overdue</th><th>still online</th><th>gone before first check</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>

<h2>Share still online after the notice</h2>
<figure>
${survivalSvg(top, input.deadlineSeconds, maxSeconds)}
<figcaption class="legend">${legend}<span><i style="border-color:#b00;border-top-style:dashed"></i>deadline (${label})</span></figcaption>
</figure>

<h2>How to read this</h2>
<ul class="note">
<li>Time to removal counts from the notice to the removal timestamp: the first check of the run of offline checks that confirmed the removal. Items still online are right-censored at their last online check; shares, median and p90 are Kaplan–Meier estimates, never a median of the removed items alone. A dash means the curve does not fall that far (yet).</li>
<li>Measurement bracket: the true removal lies between the last check that saw the item online and the removal timestamp. The small range under each share is that bracket (share by the last online check to share by the removal timestamp); checks ran ${escapeHtml(input.checkGrid)}.</li>
<li>Median intervals are 95% intervals from Greenwood's variance on the log-log scale; “open” means the upper end is not reached.</li>
<li>Deadline met/missed compares the removal timestamp with each report's deadline; overdue items are still online past theirs. Items already gone at their first check are counted apart: their time to removal is unknown.</li>
</ul>
</body>
</html>
`;
}
