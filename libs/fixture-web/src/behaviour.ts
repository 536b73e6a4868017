/**
 * What the fixture web does for one (host, path). A test sets and changes these at any
 * time with `web.set()`; a change applies to requests that arrive afterwards.
 */
export type Behaviour =
  /** 200 with exactly this body. @default contentType 'application/octet-stream' */
  | { kind: 'body'; body: Buffer; contentType?: string }
  /** This status (404, 410, 451, 403, 503, …) with an optional body (empty by default). */
  | { kind: 'status'; status: number; body?: Buffer }
  /** A redirect to `location` (absolute or relative). @default status 302 */
  | { kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308; location: string }
  /** Accept the connection, read the request, never answer (until the client or close() ends it). */
  | { kind: 'stall' }
  /**
   * Send a 200 response head padded to exactly {@link SLOW_HEAD_BYTES} bytes at this rate,
   * then a 2-byte body; the head alone takes `SLOW_HEAD_BYTES / bytesPerSecond` seconds.
   */
  | { kind: 'slow-headers'; bytesPerSecond: number }
  /** Destroy the socket at once with a TCP RST, before any byte of the response. */
  | { kind: 'reset' }
  /** Send the head (with the full Content-Length) and half of the body, then a TCP RST. */
  | { kind: 'reset-mid-body'; body: Buffer }
  /**
   * Per request, draw from a seeded generator: with probability `pFail` a 503, with
   * probability `pStall` a stall, otherwise 200 with `body`. The same seed gives the same
   * sequence of answers from the moment the behaviour is set. @default seed 1
   */
  | { kind: 'flap'; pFail: number; pStall: number; body: Buffer; seed?: number }
  /** 200 with `Content-Encoding: gzip` whose body inflates to `expandedBytes` zero bytes. */
  | { kind: 'gzip-bomb'; expandedBytes: number }
  /** 200 with `Content-Encoding: br` whose body decodes to `expandedBytes` zero bytes. */
  | { kind: 'br-bomb'; expandedBytes: number }
  /**
   * 200 with a Content-Length body of exactly `bytes` bytes, streamed (with backpressure)
   * from a repeating 64 KiB pattern, so a 200 MB body never sits in the fixture's memory.
   * @default contentType 'application/octet-stream'
   */
  | { kind: 'sized'; bytes: number; contentType?: string }
  /**
   * A 200 response head with `count` extra headers (`X-H<n>: v<n>`), written raw, then a
   * 2-byte body: a client with a header-size limit gives up in the head.
   */
  | { kind: 'many-headers'; count: number }
  /**
   * 200, chunked, a body that never ends (it stops only when the client goes away, at
   * close(), or at the safety limits `endlessMaxBytes` / `endlessMaxMs`).
   */
  | { kind: 'endless' };

/** The `kind` of a {@link Behaviour}. */
export type BehaviourKind = Behaviour['kind'];

/** Size of the padded response head that `slow-headers` trickles out. */
export const SLOW_HEAD_BYTES = 1024;

/** Throws a RangeError when a behaviour's numbers make no sense (caught at set(), not mid-request). */
export function validateBehaviour(b: Behaviour): void {
  switch (b.kind) {
    case 'status':
      if (!Number.isInteger(b.status) || b.status < 200 || b.status > 599)
        throw new RangeError(`status out of range: ${b.status}`);
      return;
    case 'slow-headers':
      if (!(b.bytesPerSecond > 0))
        throw new RangeError(`bytesPerSecond must be > 0, got ${b.bytesPerSecond}`);
      return;
    case 'flap':
      if (!(b.pFail >= 0 && b.pStall >= 0 && b.pFail + b.pStall <= 1)) {
        throw new RangeError(
          `flap needs pFail, pStall >= 0 and pFail + pStall <= 1, got ${b.pFail}, ${b.pStall}`,
        );
      }
      return;
    case 'gzip-bomb':
    case 'br-bomb':
      if (!Number.isInteger(b.expandedBytes) || b.expandedBytes < 0)
        throw new RangeError(`expandedBytes must be a non-negative integer`);
      return;
    case 'sized':
      if (!Number.isSafeInteger(b.bytes) || b.bytes < 0)
        throw new RangeError(`bytes must be a non-negative integer`);
      return;
    case 'many-headers':
      if (!Number.isInteger(b.count) || b.count < 0 || b.count > 10_000_000)
        throw new RangeError(`count must be an integer in 0..10,000,000`);
      return;
    default:
      return;
  }
}
