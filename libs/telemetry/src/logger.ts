/**
 * One logger for every service: pino JSON lines bound to `service`; callers make child
 * loggers bound to `itemId` and `jobId`. Secrets (database and NATS credentials) are
 * redacted, and bodies never reach a log line because no code path holds one.
 */
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

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'databaseUrl',
          'config.databaseUrl',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination(2),
  );
}

/** Removes the password from a connection URL before it is logged or shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
