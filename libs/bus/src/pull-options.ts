/**
 * Options of one pull (`consumer.fetch`). nats.js fails a fetch with "heartbeats missed"
 * after two idle-heartbeat intervals without traffic, and by default sets the interval to
 * half the pull's expiry: the client then gives up at the very moment the server ends the
 * pull, and under load it often wins that race — the messages it had received but not yet
 * handed over come back only after AckWait, out of order. A third of the expiry keeps the
 * client's give-up point well inside the pull (the server refuses more than half).
 */
const MIN_HEARTBEAT_MS = 500;

/** Backoff between failed pulls (NATS restarting, consumer not there yet): 200 ms doubling up to 5 s. */
export const PULL_RETRY_BACKOFF = { firstMs: 200, capMs: 5000 } as const;

export interface PullOptions {
  max_messages: number;
  expires: number;
  idle_heartbeat: number;
}

export function pullOptions(maxMessages: number, expiresMs: number): PullOptions {
  const expires = Math.max(expiresMs, 3 * MIN_HEARTBEAT_MS);
  return {
    max_messages: maxMessages,
    expires,
    idle_heartbeat: Math.max(MIN_HEARTBEAT_MS, Math.floor(expires / 3)),
  };
}
