/**
 * Turns every failure into `{error: {code, message}}` with a stable code: our ApiErrors
 * as they are, Fastify's own validation and body-parsing errors mapped onto TDM_ERR_* codes,
 * anything else a logged 500 whose message says nothing about internals.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, API_ERRORS, errorBody, type ApiErrorCode } from './errors.js';

/** Fastify error codes → our codes. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TDM_ERR_BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TDM_ERR_BODY_INVALID',
  FST_ERR_CTP_BODY_TOO_LARGE: 'TDM_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TDM_ERR_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TDM_ERR_BAD_REQUEST',
  FST_ERR_BAD_URL: 'TDM_ERR_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'TDM_ERR_BAD_REQUEST',
};

/** Maps any error to a code and a client-facing message. */
export function toApiError(error: FastifyError | Error): { code: ApiErrorCode; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  const fastifyError = error as FastifyError;
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
  if (status === 413) return { code: 'TDM_ERR_BODY_TOO_LARGE', message: fastifyError.message };
  if (status === 415) return { code: 'TDM_ERR_MEDIA_TYPE', message: fastifyError.message };
  if (status !== undefined && status >= 400 && status < 500) {
    return { code: 'TDM_ERR_BODY_INVALID', message: fastifyError.message };
  }
  return { code: 'TDM_ERR_INTERNAL', message: 'internal error; see the service log for this request id' };
}

export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { code, message } = toApiError(error);
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
