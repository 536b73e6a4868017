/**
 * The one seam between the two backends. Every SQL statement of the store is written
 * once against this interface and runs unchanged on PostgreSQL (`pg`) and PGlite.
 */

/** Runs statements; inside `transaction()` it is bound to that transaction. */
export interface Executor {
  /** One statement with `$n` parameters; returns its rows. */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations, DDL). */
  exec(text: string): Promise<void>;
}

/** An executor that also owns transactions and its connections. */
export interface Database extends Executor {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK and rethrow when it throws. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The minimal logger the store needs; pino's Logger fits it, and so does a test double.
 * Declared here so the store does not depend on the telemetry package.
 */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Discards everything: the default when no logger is passed. */
export const silentLogger: StoreLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
