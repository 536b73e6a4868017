/** Typed errors of the bus: callers branch on the class or `code`, never on the message. */
import { TdmError } from '@tdm/core';

/** A message could not be decoded into the expected shape (corrupt or hostile): never retried. */
export class BusDecodeError extends TdmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TDM_ERR_BUS_DECODE', message, options);
  }
}

/** One or more publishes were not acknowledged by JetStream; the caller retries the whole batch. */
export class BusPublishError extends TdmError {
  /** How many messages of the batch failed (the others were stored; msg ids make a retry safe). */
  readonly failed: number;
  constructor(message: string, failed: number, options?: { cause?: unknown }) {
    super('TDM_ERR_BUS_PUBLISH', message, options);
    this.failed = failed;
  }
}

/**
 * Connecting to NATS failed: credentials refused (`TDM_ERR_NATS_AUTH`), TLS
 * (`TDM_ERR_NATS_TLS`) or anything else (`TDM_ERR_NATS_CONNECT`). The message names NATS
 * and the servers, never a secret.
 */
export class BusConnectError extends TdmError {
  constructor(
    code: 'TDM_ERR_NATS_AUTH' | 'TDM_ERR_NATS_TLS' | 'TDM_ERR_NATS_CONNECT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * The NATS connection dropped while a request waited for its answer, or was down when it
 * was made. The server that was to answer is gone, so waiting out the request timeout
 * would only stall the caller; it retries once the connection is back.
 */
export class BusDisconnectedError extends TdmError {
  constructor(message: string) {
    super('TDM_ERR_BUS_DISCONNECTED', message);
  }
}
