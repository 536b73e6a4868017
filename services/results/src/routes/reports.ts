/**
 * POST /v1/reports: a batch of reports as a JSON array or NDJSON. Each report is validated
 * on its own; the good ones are stored in one call, the bad ones answered with their code.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError, validateReport, type NormalizedReport } from '@tdm/core';
import type { Metrics } from '@tdm/telemetry';
import type { Store } from '@tdm/store';
import { ApiError } from '../errors.js';
import { BatchBody, RejectedEntry, type BatchEntry } from '../batch-body.js';
import { NDJSON_TYPES } from '../body-types.js';
import type { JsonLimits } from '../json-limits.js';
import { readNdjson } from '../ndjson.js';
import { errorResponses } from '../schemas.js';

export interface ReportsRouteOptions {
  store: Store;
  metrics: Metrics;
  now: () => Date;
  defaultSource: string;
  maxReportsPerRequest: number;
  bodyLimit: number;
  jsonLimits: JsonLimits;
}

/** A rejected report as answered. */
interface Rejected {
  index: number;
  line?: number;
  error: { code: string; field: string; message: string };
}

interface Accepted {
  reportId: string;
  itemId: number;
  created: boolean;
}

export function registerReportRoutes(app: FastifyInstance, options: ReportsRouteOptions): void {
  const { store, metrics, now, defaultSource, maxReportsPerRequest, bodyLimit, jsonLimits } = options;

  // NDJSON is read as a stream, line by line, so that one broken line stays one report's
  // error and an oversized body is refused as soon as it passes the limit.
  app.addContentTypeParser(NDJSON_TYPES, async (request: FastifyRequest, payload: IncomingMessage) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > bodyLimit) {
      throw new ApiError('TDM_ERR_BODY_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
    }
    return await readNdjson(payload, { bodyLimit, maxEntries: maxReportsPerRequest, limits: jsonLimits });
  });

  app.post(
    '/v1/reports',
    {
      config: { scope: 'reports:write' },
      bodyLimit,
      // Each report is checked by validateReport so that a bad one is rejected alone; the
      // schema below documents a good report (OpenAPI) but must not fail the whole batch.
      validatorCompiler: () => () => true,
      schema: {
        summary: 'Submit reports',
        operationId: 'submitReports',
        description:
          'A JSON array of reports (`application/json`) or one report per line (`application/x-ndjson`). ' +
          'Answers one element per report, in input order: `{reportId, itemId, created}` for a kept report, ' +
          '`{index, error: {code, field, message}}` for a rejected one. Idempotent on `(source, reportId)`. ' +
          'Headers `x-tdm-accepted` and `x-tdm-rejected` carry the counts.',
        tags: ['reports'],
        body: {
          content: {
            'application/json': { schema: { type: 'array', items: { $ref: 'Report#' } } },
            'application/x-ndjson': {
              schema: { type: 'string', description: 'One Report object per line.' },
            },
          },
        },
        response: {
          200: {
            description: 'One element per report, in input order.',
            type: 'array',
            items: { anyOf: [{ $ref: 'ReportAccepted#' }, { $ref: 'ReportRejected#' }] },
            headers: {
              'x-tdm-accepted': { type: 'integer', description: 'Reports kept (created or repeated).' },
              'x-tdm-rejected': { type: 'integer', description: 'Reports rejected.' },
            },
          },
          ...errorResponses(400, 413, 415, 500),
        },
      },
    },
    async (request, reply) => {
      const entries = toEntries(request.body);
      if (entries.length > maxReportsPerRequest) {
        throw new ApiError(
          'TDM_ERR_BATCH_TOO_LARGE',
          `a batch holds at most ${maxReportsPerRequest} reports; split it into several requests`,
        );
      }
      const answers: Array<Accepted | Rejected | undefined> = new Array(entries.length);
      const good: NormalizedReport[] = [];
      const goodIndex: number[] = [];
      const defaults = { now: now(), source: defaultSource };
      entries.forEach((entry, index) => {
        const rejected = validateEntry(entry, index, defaults, good, goodIndex);
        if (rejected) answers[index] = rejected;
      });
      const stored = good.length > 0 ? await store.insertReports(good) : [];
      let created = 0;
      let duplicate = 0;
      let conflicts = 0;
      stored.forEach((result, i) => {
        const index = goodIndex[i] as number;
        if (result.conflict) {
          conflicts += 1;
          const line = entries[index]?.line;
          answers[index] = {
            index,
            ...(line === undefined ? {} : { line }),
            error: {
              code: 'TDM_ERR_REPORT_CONFLICT',
              field: 'reportId',
              message: `reportId "${result.reportId}" of this source is already stored for another URL; use a new reportId`,
            },
          };
          return;
        }
        answers[index] = { reportId: result.reportId, itemId: result.itemId, created: result.created };
        if (result.created) created += 1;
        else duplicate += 1;
      });
      const accepted = stored.length - conflicts;
      const rejected = entries.length - accepted;
      if (created > 0) metrics.reports.inc({ result: 'created' }, created);
      if (duplicate > 0) metrics.reports.inc({ result: 'duplicate' }, duplicate);
      if (rejected > 0) metrics.reports.inc({ result: 'rejected' }, rejected);
      request.log.info({ accepted, created, duplicate, rejected }, 'reports received');
      void reply.header('x-tdm-accepted', String(accepted)).header('x-tdm-rejected', String(rejected));
      return answers;
    },
  );
}

type Entry = BatchEntry;

function toEntries(body: unknown): Entry[] {
  if (body instanceof BatchBody) return body.entries;
  if (!Array.isArray(body)) {
    throw new ApiError(
      'TDM_ERR_BODY_NOT_ARRAY',
      'the body must be a JSON array of reports (or NDJSON, one report per line)',
    );
  }
  return body.map((value: unknown) => ({ value }));
}

/** Validates one entry; pushes a good report (and its batch index), or returns the rejection. */
function validateEntry(
  entry: Entry,
  index: number,
  defaults: { now: Date; source: string },
  good: NormalizedReport[],
  goodIndex: number[],
): Rejected | undefined {
  const where = entry.line === undefined ? {} : { line: entry.line };
  if (entry.value instanceof RejectedEntry) {
    return {
      index,
      ...where,
      error: { code: entry.value.code, field: 'report', message: entry.value.message },
    };
  }
  try {
    good.push(validateReport(entry.value, defaults));
    goodIndex.push(index);
    return undefined;
  } catch (error) {
    // Anything but a ValidationError is a bug: let it become a 500, not a per-report answer.
    if (!(error instanceof ValidationError)) throw error;
    return { index, ...where, error: { code: error.code, field: error.field, message: error.message } };
  }
}
