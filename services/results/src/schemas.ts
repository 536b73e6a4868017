/**
 * JSON schemas of the API. They serve three purposes at once: Fastify validates input
 * with them, fast-json-stringify serialises responses with them, and @fastify/swagger
 * turns them into the OpenAPI document. Shared ones carry an `$id` and become
 * `components.schemas` entries. Nullable fields use type arrays (`['string', 'null']`),
 * which the swagger plugin turns into `nullable: true` for OpenAPI 3.0.
 */
import { HASH_LENGTHS, ITEM_STATES, MODES, OFFLINE_REASONS, OUTCOMES, REASONS } from '@tdm/core';
import { API_ERRORS, REPORT_ERRORS } from './errors.js';

const isoTime = { type: 'string', format: 'date-time' } as const;
const isoTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const itemState = { type: 'string', enum: ITEM_STATES } as const;
const mode = { type: 'string', enum: MODES } as const;
const offlineReasonOrNull = { type: ['string', 'null'], enum: [...OFFLINE_REASONS, null] } as const;
const reasonOrNull = { type: ['string', 'null'], enum: [...REASONS, null] } as const;
/** A report's hash field: hex of the hash's length, either case (stored lower-case). */
const hexOfLength = (length: number): { type: 'string'; pattern: string } => ({
  type: 'string',
  pattern: `^[0-9a-fA-F]{${length}}$`,
});

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error response. `code` is stable (see docs/api.md); `message` is for people.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(API_ERRORS) },
        message: { type: 'string' },
      },
    },
  },
} as const;

/** A report as a client sends it. Documentation only: each report is validated by `validateReport`. */
export const reportSchema = {
  $id: 'Report',
  type: 'object',
  description: 'One notice about one URL. Only `url` is required.',
  required: ['url'],
  properties: {
    url: { type: 'string', description: 'Absolute http(s) URL, at most 4096 characters, no credentials.' },
    reportId: {
      type: 'string',
      description: 'Caller-chosen id; `(source, reportId)` makes the report idempotent.',
    },
    source: {
      type: 'string',
      description: "Who reported it (default: the service's default source, `api`).",
    },
    reportedAt: { ...isoTime, description: 'When the report was received (default: now).' },
    noticeSentAt: { ...isoTime, description: 'When the notice was sent to the hoster.' },
    sha256: hexOfLength(HASH_LENGTHS.sha256),
    sha1: hexOfLength(HASH_LENGTHS.sha1),
    md5: hexOfLength(HASH_LENGTHS.md5),
    mode: { ...mode, default: 'http' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const reportAcceptedSchema = {
  $id: 'ReportAccepted',
  type: 'object',
  description: 'A kept report. `created` is false when `(source, reportId)` was already known.',
  required: ['reportId', 'itemId', 'created'],
  properties: {
    reportId: { type: 'string' },
    itemId: { type: 'integer' },
    created: { type: 'boolean' },
  },
} as const;

export const reportRejectedSchema = {
  $id: 'ReportRejected',
  type: 'object',
  description:
    'A rejected report: `index` is its position in the batch (0-based), `line` its NDJSON line (1-based).',
  required: ['index', 'error'],
  properties: {
    index: { type: 'integer' },
    line: { type: 'integer' },
    error: {
      type: 'object',
      required: ['code', 'field', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(REPORT_ERRORS) },
        field: {
          type: 'string',
          description: 'The offending field; `report` when the whole report is unusable.',
        },
        message: { type: 'string' },
      },
    },
  },
} as const;

export const transitionSchema = {
  $id: 'Transition',
  type: 'object',
  required: ['from', 'to', 'at', 'reason'],
  properties: {
    from: itemState,
    to: itemState,
    at: isoTime,
    reason: reasonOrNull,
  },
} as const;

export const itemViewSchema = {
  $id: 'Item',
  type: 'object',
  required: [
    'itemId',
    'url',
    'originalUrl',
    'host',
    'registrableDomain',
    'ip',
    'hoster',
    'mode',
    'reportedAt',
    'noticeSentAt',
    'state',
    'firstCheckedAt',
    'lastCheckedAt',
    'checks',
    'lastOnlineAt',
    'offlineAt',
    'offlineReason',
    'confirmedAt',
    'timeToRemovalSeconds',
    'nextCheckAt',
    'transitions',
  ],
  properties: {
    itemId: { type: 'integer' },
    url: { type: 'string', description: "The normalised URL: the item's identity." },
    originalUrl: { type: 'string', description: 'The URL as first reported.' },
    host: { type: 'string' },
    registrableDomain: { type: 'string' },
    ip: { type: ['string', 'null'] },
    hoster: { type: ['string', 'null'] },
    mode,
    reportedAt: isoTime,
    noticeSentAt: isoTimeOrNull,
    state: itemState,
    firstCheckedAt: isoTimeOrNull,
    lastCheckedAt: isoTimeOrNull,
    checks: { type: 'integer' },
    lastOnlineAt: {
      ...isoTimeOrNull,
      description: 'Start of the last check that saw it online before the removal.',
    },
    offlineAt: {
      ...isoTimeOrNull,
      description: 'Removal timestamp: start of the first check of the confirmed offline run.',
    },
    offlineReason: offlineReasonOrNull,
    confirmedAt: isoTimeOrNull,
    timeToRemovalSeconds: {
      type: ['number', 'null'],
      description: 'offlineAt − noticeSentAt (or reportedAt).',
    },
    nextCheckAt: isoTimeOrNull,
    transitions: { type: 'array', items: { $ref: 'Transition#' } },
  },
} as const;

export const redirectHopSchema = {
  $id: 'RedirectHop',
  type: 'object',
  required: ['url', 'status', 'ip'],
  properties: { url: { type: 'string' }, status: { type: 'integer' }, ip: { type: ['string', 'null'] } },
} as const;

export const checkLogEntrySchema = {
  $id: 'Check',
  type: 'object',
  required: [
    'jobId',
    'scheduledAt',
    'startedAt',
    'durationMs',
    'outcome',
    'reason',
    'httpStatus',
    'ip',
    'sha256',
    'bytes',
    'error',
    'redirects',
  ],
  properties: {
    jobId: { type: 'string', description: '`itemId@scheduledAt`.' },
    scheduledAt: isoTime,
    startedAt: isoTime,
    durationMs: { type: 'number' },
    outcome: { type: 'string', enum: OUTCOMES },
    reason: reasonOrNull,
    httpStatus: { type: ['integer', 'null'] },
    ip: { type: ['string', 'null'] },
    sha256: { type: ['string', 'null'] },
    bytes: { type: 'integer' },
    error: { type: ['string', 'null'] },
    redirects: { type: 'array', items: { $ref: 'RedirectHop#' } },
  },
} as const;

/** Column order of the removals export (csv header, json/ndjson keys). */
export const REMOVAL_COLUMNS = [
  'itemId',
  'url',
  'host',
  'registrableDomain',
  'hoster',
  'reportedAt',
  'noticeSentAt',
  'lastOnlineAt',
  'offlineAt',
  'confirmedAt',
  'offlineReason',
  'timeToRemovalSeconds',
  'episode',
  'reappearedAt',
] as const;

export const removalRowSchema = {
  $id: 'Removal',
  type: 'object',
  required: [...REMOVAL_COLUMNS],
  properties: {
    itemId: { type: 'integer' },
    url: { type: 'string' },
    host: { type: 'string' },
    registrableDomain: { type: 'string' },
    hoster: { type: ['string', 'null'] },
    reportedAt: isoTime,
    noticeSentAt: isoTimeOrNull,
    lastOnlineAt: isoTimeOrNull,
    offlineAt: isoTime,
    confirmedAt: isoTimeOrNull,
    offlineReason: offlineReasonOrNull,
    timeToRemovalSeconds: { type: 'number' },
    episode: {
      type: 'integer',
      minimum: 1,
      description: "1 for the item's first removal, 2 for the next, …",
    },
    reappearedAt: { ...isoTimeOrNull, description: 'when the item was seen online again after this removal' },
  },
} as const;

/** Shared schemas, registered with `addSchema` before any route. */
export const SHARED_SCHEMAS = [
  errorSchema,
  reportSchema,
  reportAcceptedSchema,
  reportRejectedSchema,
  transitionSchema,
  itemViewSchema,
  redirectHopSchema,
  checkLogEntrySchema,
  removalRowSchema,
];

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request (TDM_ERR_BAD_REQUEST, TDM_ERR_ITEM_ID, TDM_ERR_TIMESTAMP, TDM_ERR_BODY_INVALID, TDM_ERR_BODY_NOT_ARRAY).',
  401: 'No valid bearer token (TDM_ERR_UNAUTHENTICATED).',
  403: "The token lacks the route's scope (TDM_ERR_FORBIDDEN).",
  404: 'Not found (TDM_ERR_NOT_FOUND).',
  413: 'Too large (TDM_ERR_BODY_TOO_LARGE, TDM_ERR_BATCH_TOO_LARGE).',
  415: 'Unsupported content type (TDM_ERR_MEDIA_TYPE).',
  500: 'Internal error (TDM_ERR_INTERNAL).',
  503: 'Not ready (TDM_ERR_NOT_READY).',
};

/** Error responses for a route's `response` schema, by status. */
export function errorResponses(
  ...statuses: number[]
): Record<number, { description: string; $ref: 'Error#' }> {
  const out: Record<number, { description: string; $ref: 'Error#' }> = {};
  for (const status of statuses)
    out[status] = { description: STATUS_TEXT[status] ?? 'Error.', $ref: 'Error#' };
  return out;
}
