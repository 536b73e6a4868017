/**
 * Which address a request was actually sent to. undici does not hand the socket to a
 * dispatch handler, but it publishes `undici:client:sendHeaders` ({ request, socket })
 * synchronously right after calling the handler's `onRequestStart`, inside the same
 * function (client-h1 `writeH1`). So a handler registers itself in `onRequestStart` and
 * the next sendHeaders message, in the same tick, belongs to it. A microtask clears a
 * registration that was not taken (a request aborted in between), so a stale handler
 * can never receive another request's socket. Checked against undici 7.x.
 */
import { subscribe } from 'node:diagnostics_channel';

/** Receives the peer address of the socket a request was written to. */
export type SocketAddressSink = (remoteAddress: string | null) => void;

let waiting: SocketAddressSink | null = null;
let subscribed = false;

function onSendHeaders(message: unknown): void {
  const sink = waiting;
  if (!sink) return;
  waiting = null;
  const socket = (message as { socket?: { remoteAddress?: string } } | null)?.socket;
  sink(socket?.remoteAddress ?? null);
}

/** Subscribes once per process (idempotent). */
export function watchSocketAddresses(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:client:sendHeaders', onSendHeaders);
}

/** Call from `onRequestStart`: the request about to be written reports its peer to `sink`. */
export function expectSocketAddress(sink: SocketAddressSink): void {
  waiting = sink;
  queueMicrotask(() => {
    if (waiting === sink) waiting = null;
  });
}
