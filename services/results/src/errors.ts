/**
 * The API's error codes: one table, stable `TDM_ERR_*` codes with their HTTP status and a
 * description. docs/api.md lists every one of them and a test keeps the two in sync.
 * Every error response has the body `{error: {code, message}}`; clients branch on `code`.
 */
import { TdmError, VALIDATION_CODES } from '@tdm/core';

/** Request-level errors (the whole request failed), by code. */
export const API_ERRORS = {
  TDM_ERR_BAD_REQUEST: {
    status: 400,
    description:
      'a query parameter the route does not take, or a query parameter, path parameter or header that does not match the route schema',
  },
  TDM_ERR_ITEM_ID: { status: 400, description: 'the item id in the path is not a positive integer' },
  TDM_ERR_TIMESTAMP: {
    status: 400,
    description: VALIDATION_CODES.TDM_ERR_TIMESTAMP + ' (since/until), or since is after until',
  },
  TDM_ERR_BODY_INVALID: { status: 400, description: 'the request body is empty or not parseable JSON' },
  TDM_ERR_BODY_NOT_ARRAY: { status: 400, description: 'the JSON body is not an array of reports' },
  TDM_ERR_UNAUTHENTICATED: {
    status: 401,
    description: 'no Authorization: Bearer token, or the token is unknown, expired or revoked',
  },
  TDM_ERR_FORBIDDEN: { status: 403, description: "the token is valid but lacks the route's scope" },
  TDM_ERR_JSON_LIMIT: {
    status: 400,
    description:
      'the JSON body nests deeper or holds a longer string than the limits (TDM_API_MAX_JSON_DEPTH, TDM_API_MAX_STRING_LENGTH)',
  },
  TDM_ERR_NOT_FOUND: { status: 404, description: 'no such item, or no such route' },
  TDM_ERR_REQUEST_TIMEOUT: {
    status: 408,
    description:
      'the client did not send the headers or the whole request in time (TDM_API_HEADERS_TIMEOUT, TDM_API_REQUEST_TIMEOUT)',
  },
  TDM_ERR_BODY_TOO_LARGE: {
    status: 413,
    description: 'the request body is larger than the body limit (32 MiB); the message names the limit',
  },
  TDM_ERR_BATCH_TOO_LARGE: {
    status: 413,
    description: 'the batch holds more reports than the per-request limit (10,000 by default)',
  },
  TDM_ERR_MEDIA_TYPE: {
    status: 415,
    description:
      'the Content-Type is not application/json or NDJSON (text/plain neither); the message names the accepted types',
  },
  TDM_ERR_HOST_NOT_ALLOWED: {
    status: 421,
    description:
      'the Host header names no allowed host (TDM_ALLOWED_HOSTS, localhost, an IP literal): guards a loopback API against DNS rebinding',
  },
  TDM_ERR_RATE_LIMITED: {
    status: 429,
    description:
      'too many requests for this token (or client address) in the window (TDM_API_RATE_LIMIT); Retry-After says when to try again',
  },
  TDM_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    description: 'the request line and headers are larger than TDM_API_MAX_HEADER_BYTES (16 KiB)',
  },
  TDM_ERR_INTERNAL: {
    status: 500,
    description: 'an unexpected failure on the server side (logged with the request id)',
  },
  TDM_ERR_NOT_READY: {
    status: 503,
    description: 'the service is not ready: the store does not answer or a dependency is down',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * Per-report error codes (an element of the POST /v1/reports answer): every validation code
 * of @tdm/core plus the ones only the API produces.
 */
export const REPORT_ERRORS = {
  ...VALIDATION_CODES,
  TDM_ERR_NDJSON_LINE: 'a line of an NDJSON body is not valid JSON',
  TDM_ERR_JSON_LIMIT:
    'the report (or NDJSON line) nests deeper or holds a longer string than the limits (TDM_API_MAX_JSON_DEPTH, TDM_API_MAX_STRING_LENGTH)',
  TDM_ERR_REPORT_CONFLICT:
    'the (source, reportId) is already stored for another URL (or named another URL earlier in the batch); nothing was changed',
} as const;

export type ReportErrorCode = keyof typeof REPORT_ERRORS;

/** An error that ends a request with a stable code and its HTTP status. */
export class ApiError extends TdmError {
  readonly statusCode: number;
  declare readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.statusCode = API_ERRORS[code].status;
  }
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}
