/**
 * One logger for every service: pino JSON lines bound to `service`; callers make child
 * loggers bound to `itemId` and `jobId`. Nothing sensitive reaches a line:
 * - every line is scrubbed on its way out (`redactText` of @tdm/core): credentials in
 *   connection URLs, `password=`/token pairs, bearer and `tdm_` tokens, and any http(s)
 *   URL (a reported URL must never be logged; log `itemId` and `registrableDomain`);
 * - errors are serialised from an allow-list of fields, so a database error's statement
 *   `params` (PGlite puts them on the error: the URLs of a batch), `detail` ("Key
 *   (url)=(…)") and `where` never reach a line;
 * - requests are logged by path only: a query string may carry anything.
 * Bodies never reach a log line because no code path holds one.
 */
import { redactText } from '@tdm/core';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /**
   * Where lines go: standard error by default, so that a command's data on standard output
   * (`tdm export > removals.csv`) is never mixed with log lines. Tests pass a stream.
   */
  destination?: DestinationStream;
}

/** Error fields that carry no input data: codes and names, never values. */
const ERROR_FIELDS = [
  'code',
  'errno',
  'syscall',
  'severity',
  'routine',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'statusCode',
] as const;
const MAX_CAUSE_DEPTH = 5;

interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  [field: string]: unknown;
}

/** An error as logged: type, message, stack, the allow-listed fields and its causes. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const out: SerializedError = { type: error.constructor.name || error.name, message: error.message };
  if (error.stack !== undefined) out.stack = error.stack;
  const fields = error as unknown as Record<string, unknown>;
  for (const name of ERROR_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' || typeof value === 'number') out[name] = value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH)
    out.cause = serializeError(error.cause, depth + 1);
  return out;
}

interface RequestLike {
  method?: string;
  url?: string;
  id?: unknown;
  ip?: string;
}

/** A request as logged: method, path without the query string, request id, client address. */
function serializeRequest(request: RequestLike): Record<string, unknown> {
  return {
    method: request.method,
    path: (request.url ?? '').split('?')[0],
    reqId: request.id,
    remoteAddress: request.ip,
  };
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError, error: serializeError, req: serializeRequest },
      redact: {
        paths: [
          'databaseUrl',
          'config.databaseUrl',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'token',
          '*.token',
        ],
        censor: '[redacted]',
      },
      // The last line of defence: whatever a message or a field quotes, the line is scrubbed.
      hooks: { streamWrite: redactText },
    },
    options.destination ?? pino.destination(2),
  );
}
