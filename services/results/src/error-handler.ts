/**
 * Turns every failure into `{error: {code, message}}` with a stable code: our ApiErrors
 * as they are, Fastify's own validation and body-parsing errors mapped onto TDM_ERR_* codes,
 * anything else a logged 500 whose message says nothing about internals.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ACCEPTED_BODY_TYPES } from './body-types.js';
import { ApiError, API_ERRORS, errorBody, type ApiErrorCode } from './errors.js';

/** Fastify error codes → our codes. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TDM_ERR_BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TDM_ERR_BODY_INVALID',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TDM_ERR_BAD_REQUEST',
  FST_ERR_BAD_URL: 'TDM_ERR_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'TDM_ERR_BAD_REQUEST',
};

/** Maps any error to a code and a client-facing message (the request says what was asked for). */
export function toApiError(
  error: FastifyError | Error,
  request: FastifyRequest,
): { code: ApiErrorCode; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  const fastifyError = error as FastifyError;
  const explained = explain(fastifyError, request);
  if (explained) return explained;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext;
    if (context === 'params') return { code: 'TDM_ERR_ITEM_ID', message: `path ${fastifyError.message}` };
    if (context === 'body') return { code: 'TDM_ERR_BODY_INVALID', message: fastifyError.message };
    return { code: 'TDM_ERR_BAD_REQUEST', message: fastifyError.message };
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return { code: mapped, message: fastifyError.message };
  // A JSON body that secure-json-parse refuses (e.g. a __proto__ key) or a body stream that
  // broke: Fastify marks those 4xx.
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { code: 'TDM_ERR_BODY_INVALID', message: fastifyError.message };
  }
  return { code: 'TDM_ERR_INTERNAL', message: 'internal error; see the service log for this request id' };
}

/** Fastify's refusals that should tell the client what it can send instead. */
function explain(
  error: FastifyError,
  request: FastifyRequest,
): { code: ApiErrorCode; message: string } | undefined {
  const status = error.statusCode;
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    const sent = (request.headers['content-type'] ?? '(none)').split(';')[0]?.trim().slice(0, 100);
    return {
      code: 'TDM_ERR_MEDIA_TYPE',
      message: `Content-Type ${sent} is not accepted; send ${ACCEPTED_BODY_TYPES.join(', ')}`,
    };
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    const limit = request.routeOptions.bodyLimit;
    return {
      code: 'TDM_ERR_BODY_TOO_LARGE',
      message: `the request body is larger than the limit of ${limit} bytes${mebibytes(limit)} for ${request.method} ${request.routeOptions.url ?? ''}`,
    };
  }
  return undefined;
}

/** " (32 MiB)" for 33554432, nothing below 1 MiB: the unit docs/api.md gives the limit in. */
function mebibytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? ` (${Number((bytes / 1024 / 1024).toPrecision(3))} MiB)` : '';
}

export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { code, message } = toApiError(error, request);
  const status = API_ERRORS[code].status;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code, message }, 'request refused');
  return reply.code(status).send(errorBody(code, message));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .send(errorBody('TDM_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}
