/**
 * The bus logs through a structural logger so that it does not depend on the telemetry
 * package: a pino Logger fits it.
 */
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** Used when the caller gives no logger. */
export const silentLogger: BusLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** The error as a log field, without stack noise for expected failures. */
export function errorField(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'unknown', message: String(error) };
}
