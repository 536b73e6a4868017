/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large, the
 * headers or request timeout, a malformed request line) get the API's error body and a
 * documented code too, written straight on the socket, which is then closed.
 */
import type { Socket } from 'node:net';
import { API_ERRORS, errorBody, type ApiErrorCode } from './errors.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

function codeFor(error: { code?: string }): ApiErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'TDM_ERR_HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'TDM_ERR_REQUEST_TIMEOUT';
  return 'TDM_ERR_BAD_REQUEST';
}

const MESSAGES: Partial<Record<ApiErrorCode, string>> = {
  TDM_ERR_HEADERS_TOO_LARGE: 'the request headers are too large',
  TDM_ERR_REQUEST_TIMEOUT: 'the request was not received in time',
  TDM_ERR_BAD_REQUEST: 'the request is not valid HTTP',
};

/** Fastify's `clientErrorHandler`. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection, or one already answered: nothing to write to.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const code = codeFor(error);
  const status = API_ERRORS[code].status;
  const body = JSON.stringify(errorBody(code, MESSAGES[code] ?? code));
  // As Node and Fastify do: write the answer, then destroy (end() would wait, half-open,
  // on a client that never reads).
  socket.write(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  socket.destroy();
}
