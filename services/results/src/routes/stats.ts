/**
 * GET /v1/stats/removals and GET /v1/stats/survival: removal statistics per group, computed
 * in the database (Kaplan–Meier, see @tdm/store's stats-sql.ts and docs/analysis.md).
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '@tdm/store';
import { errorResponses } from '../schemas.js';
import { statsCsv } from '../stats-format.js';
import { DEFAULT_WITHIN, parseStatsQuery, type StatsQueryText } from '../stats-query.js';

const windowProperties = {
  groupBy: {
    type: 'string',
    default: 'hoster',
    description:
      'One or two (comma-separated) of `hoster`, `asn`, `country`, `registrableDomain`, `source`, `noticeMonth` (UTC).',
  },
  noticeSince: {
    type: 'string',
    description:
      'Items whose notice (else report) time is at or after this ISO-8601 date or date-time with zone.',
  },
  noticeUntil: { type: 'string', description: '… and before this one.' },
} as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const groupKey = {
  description: 'The group value (null: no attribution); an array of two for two levels.',
  anyOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'null' },
    { type: 'array', items: { type: ['string', 'number', 'null'] } },
  ],
} as const;

export const removalStatsGroupSchema = {
  $id: 'RemovalStatsGroup',
  type: 'object',
  required: [
    'key',
    'items',
    'removed',
    'open',
    'reappeared',
    'goneBeforeFirstCheck',
    'removedWithin',
    'removedWithinBounds',
    'medianSeconds',
    'p90Seconds',
    'medianCi95',
    'deadline',
  ],
  properties: {
    key: groupKey,
    items: { type: 'integer', description: 'Items whose notice falls in the window.' },
    removed: { type: 'integer', description: 'Confirmed removals of items seen online first.' },
    open: { type: 'integer', description: 'Not removed (pending, online, online again): right-censored.' },
    reappeared: { type: 'integer', description: 'Items seen online again after a confirmed removal.' },
    goneBeforeFirstCheck: {
      type: 'integer',
      description:
        'Already gone at the first check: counted apart, not in the curve (their time is unknown).',
    },
    removedWithin: {
      type: 'object',
      description: 'Per duration: Kaplan–Meier share removed within it (by offlineAt), 0..1; null: no data.',
      additionalProperties: nullableNumber,
    },
    removedWithinBounds: {
      type: 'object',
      description:
        'Per duration: [low, high] of the shares by offlineAt and by lastOnlineAt (the check grid bracket).',
      additionalProperties: { type: ['array', 'null'], items: { type: 'number' } },
    },
    medianSeconds: {
      ...nullableNumber,
      description: 'Kaplan–Meier median time to removal; null: not reached.',
    },
    p90Seconds: { ...nullableNumber, description: 'Time by which 90% are removed; null: not reached.' },
    medianCi95: {
      type: 'array',
      items: nullableNumber,
      description: '95% interval of the median (log-log Greenwood bounds inverted); null: open-ended.',
    },
    deadline: {
      type: 'object',
      required: ['met', 'missed', 'open', 'overdue'],
      properties: {
        met: { type: 'integer' },
        missed: { type: 'integer' },
        open: { type: 'integer' },
        overdue: { type: 'integer' },
      },
    },
  },
} as const;

export const survivalPointSchema = {
  $id: 'SurvivalPoint',
  type: 'object',
  required: ['time', 'atRisk', 'events', 'censored', 'survival', 'low', 'high'],
  properties: {
    time: { type: 'number', description: 'Seconds after the notice.' },
    atRisk: { type: 'integer' },
    events: { type: 'integer', description: 'Removals at this time.' },
    censored: { type: 'integer', description: 'Items last seen online at this time (still online).' },
    survival: { type: 'number', description: 'Share still online just after this time.' },
    low: { type: 'number', description: '95% interval (log-log), low end.' },
    high: { type: 'number' },
  },
} as const;

interface RemovalsStatsQuery extends StatsQueryText {
  format: 'json' | 'csv';
}

export function registerStatsRoutes(app: FastifyInstance, store: Store, now: () => Date): void {
  app.get<{ Querystring: RemovalsStatsQuery }>(
    '/v1/stats/removals',
    {
      config: { scope: 'stats:read' },
      schema: {
        operationId: 'getRemovalStats',
        summary: 'Removal statistics per group (Kaplan–Meier, Greenwood intervals, deadlines)',
        description:
          'Per group: counts, the share removed within each duration, the bracket the check grid leaves, ' +
          'median and p90 time to removal with the median’s 95% interval, and deadline compliance. ' +
          'Computed in the database; docs/analysis.md explains every figure. An empty window gives no groups.',
        tags: ['statistics'],
        querystring: {
          type: 'object',
          properties: {
            ...windowProperties,
            within: {
              type: 'string',
              default: DEFAULT_WITHIN,
              description: 'Durations in the configuration syntax, comma-separated (`24s` works too).',
            },
            format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
          },
        },
        response: {
          200: {
            description: 'The statistics (`csv`: one row per group).',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['groupBy', 'within', 'noticeSince', 'noticeUntil', 'groups'],
                  properties: {
                    groupBy: { type: 'string' },
                    within: { type: 'array', items: { type: 'string' } },
                    noticeSince: { type: ['string', 'null'], format: 'date-time' },
                    noticeUntil: { type: ['string', 'null'], format: 'date-time' },
                    groups: { type: 'array', items: { $ref: 'RemovalStatsGroup#' } },
                  },
                },
              },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request, reply) => {
      const query = parseStatsQuery(request.query);
      const groups = await store.removalStats({ ...query, now: now() });
      if (request.query.format === 'csv')
        return reply.type('text/csv; charset=utf-8').send(statsCsv(query, groups));
      return {
        groupBy: query.groupByText,
        within: query.within.map((w) => w.label),
        noticeSince: query.noticeSince?.toISOString() ?? null,
        noticeUntil: query.noticeUntil?.toISOString() ?? null,
        groups,
      };
    },
  );

  app.get<{ Querystring: StatsQueryText }>(
    '/v1/stats/survival',
    {
      config: { scope: 'stats:read' },
      schema: {
        operationId: 'getSurvivalCurves',
        summary: 'The Kaplan–Meier curve of time to removal per group, for plotting',
        description:
          'One point per distinct time (seconds after the notice): at risk, removals, censorings, S(t), 95% interval.',
        tags: ['statistics'],
        querystring: { type: 'object', properties: windowProperties },
        response: {
          200: {
            type: 'object',
            required: ['groupBy', 'noticeSince', 'noticeUntil', 'groups'],
            properties: {
              groupBy: { type: 'string' },
              noticeSince: { type: ['string', 'null'], format: 'date-time' },
              noticeUntil: { type: ['string', 'null'], format: 'date-time' },
              groups: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['key', 'points'],
                  properties: { key: groupKey, points: { type: 'array', items: { $ref: 'SurvivalPoint#' } } },
                },
              },
            },
          },
          ...errorResponses(400, 500),
        },
      },
    },
    async (request) => {
      const query = parseStatsQuery(request.query);
      const groups = await store.survivalCurves({ ...query, now: now() });
      return {
        groupBy: query.groupByText,
        noticeSince: query.noticeSince?.toISOString() ?? null,
        noticeUntil: query.noticeUntil?.toISOString() ?? null,
        groups,
      };
    },
  );
}
