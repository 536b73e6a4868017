/** GET /v1/report.html: the ranking report (libs/report) over the statistics of a window. */
import type { FastifyInstance } from 'fastify';
import { renderRankingReport } from '@tdm/report';
import type { Store } from '@tdm/store';
import { errorResponses } from '../schemas.js';
import { parseStatsQuery, type StatsQueryText } from '../stats-query.js';

export interface ReportContext {
  /** The default deadline (TDM_DEADLINE), ranked by. */
  deadlineMs: number;
  /** The check grid in words, for the bracket statement. */
  checkGrid: string;
  /** The attribution dataset(s) in words. */
  attribution: string;
}

/** `24h`, `12h`, `90m`, `45s`: the deadline as a `within` label. */
export function durationLabel(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export function registerReportRoute(
  app: FastifyInstance,
  store: Store,
  now: () => Date,
  context: ReportContext,
): void {
  app.get<{ Querystring: Omit<StatsQueryText, 'within'> }>(
    '/v1/report.html',
    {
      config: { scope: 'stats:read' },
      schema: {
        operationId: 'getRankingReport',
        summary: 'The ranking report: one self-contained HTML page, no URLs',
        description:
          'Groups ranked by the share removed within the default deadline (TDM_DEADLINE), with counts, median ' +
          'and p90 time to removal with intervals, deadline compliance and the Kaplan–Meier curves of the ' +
          'five largest groups as inline SVG. No script, no external asset, no URL: it is meant to be published.',
        tags: ['statistics'],
        querystring: {
          type: 'object',
          properties: {
            groupBy: { type: 'string', default: 'hoster' },
            noticeSince: { type: 'string' },
            noticeUntil: { type: 'string' },
          },
        },
        response: {
          200: { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request, reply) => {
      const deadlineLabel = durationLabel(context.deadlineMs);
      const query = parseStatsQuery({ ...request.query, within: deadlineLabel });
      const at = now();
      const [groups, curves, sources] = await Promise.all([
        store.removalStats({ ...query, now: at }),
        store.survivalCurves({ ...query, now: at }),
        store.reportSources(),
      ]);
      const html = renderRankingReport({
        groupBy: query.groupByText,
        generatedAt: at,
        noticeSince: query.noticeSince ?? null,
        noticeUntil: query.noticeUntil ?? null,
        deadlineLabel,
        deadlineSeconds: context.deadlineMs / 1000,
        groups,
        curves: new Map(curves.map((curve) => [JSON.stringify(curve.key), curve.points])),
        sources,
        attribution: context.attribution,
        checkGrid: context.checkGrid,
      });
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
