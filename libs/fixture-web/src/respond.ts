import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Behaviour } from './behaviour.js';
import { SLOW_HEAD_BYTES } from './behaviour.js';

/** What a behaviour needs from the fixture web while it answers. */
export interface RespondContext {
  /** The gzip of N zero bytes, computed once per N and cached by the web. */
  gzipOfZeros(expandedBytes: number): Promise<Buffer>;
  /** The brotli encoding of N zero bytes, computed once per N and cached by the web. */
  brotliOfZeros(expandedBytes: number): Promise<Buffer>;
  endlessMaxBytes: number;
  endlessMaxMs: number;
}

/** 64 KiB of non-zero filler for `endless`, so a decompressing or hashing client does real work. */
const ENDLESS_CHUNK = Buffer.alloc(64 * 1024, 'endless-body;');

/** The repeating pattern of a `sized` body: its bytes are `SIZED_CHUNK` repeated, cut at the size. */
const SIZED_CHUNK = Buffer.alloc(64 * 1024, 'sized-body;');

/**
 * Answers one request with one behaviour. Returns the HTTP status the client will see, or
 * null when it sees none (stall, reset). Every timer it starts is tied to the socket's
 * 'close', so close() (which destroys every socket) also ends every behaviour.
 */
export function respond(
  b: Behaviour,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RespondContext,
): number | null {
  switch (b.kind) {
    case 'body':
      res.writeHead(200, {
        'content-type': b.contentType ?? 'application/octet-stream',
        'content-length': b.body.length,
      });
      res.end(b.body);
      return 200;
    case 'status': {
      const body = b.body ?? Buffer.alloc(0);
      res.writeHead(b.status, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
      return b.status;
    }
    case 'redirect': {
      const status = b.status ?? 302;
      res.writeHead(status, { location: b.location, 'content-length': 0 });
      res.end();
      return status;
    }
    case 'stall':
      // Keep the socket open and silent; the request body is drained so the client is not blocked writing it.
      return null;
    case 'slow-headers':
      slowHeaders(req, b.bytesPerSecond);
      return 200;
    case 'reset':
      req.socket.resetAndDestroy();
      return null;
    case 'reset-mid-body':
      resetMidBody(req, res, b.body);
      return 200;
    case 'gzip-bomb':
      bomb(res, ctx.gzipOfZeros(b.expandedBytes), 'gzip');
      return 200;
    case 'br-bomb':
      bomb(res, ctx.brotliOfZeros(b.expandedBytes), 'br');
      return 200;
    case 'sized':
      sized(req, res, b.bytes, b.contentType ?? 'application/octet-stream');
      return 200;
    case 'many-headers':
      manyHeaders(req, b.count);
      return 200;
    case 'endless':
      endless(req, res, ctx);
      return 200;
    case 'flap':
      // Resolved to one of the other behaviours by the caller, which owns the generator.
      throw new Error('flap must be resolved before respond()');
  }
}

/** Writes a raw, padded response head at the given rate, bypassing node's ServerResponse. */
function slowHeaders(req: IncomingMessage, bytesPerSecond: number): void {
  const socket = req.socket;
  const fixed =
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\nX-Pad: ';
  const end = '\r\n\r\n';
  const head = Buffer.from(fixed + 'x'.repeat(SLOW_HEAD_BYTES - fixed.length - end.length) + end, 'latin1');
  // At most 100 ticks a second; at low rates one byte per tick.
  const tickMs = Math.max(10, Math.min(1000, 1000 / bytesPerSecond));
  const perTick = Math.max(1, Math.round((bytesPerSecond * tickMs) / 1000));
  let offset = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) {
      clearInterval(timer);
      return;
    }
    const next = Math.min(head.length, offset + perTick);
    socket.write(head.subarray(offset, next));
    offset = next;
    if (offset >= head.length) {
      clearInterval(timer);
      socket.end('ok');
    }
  }, tickMs);
  socket.once('close', () => clearInterval(timer));
}

function resetMidBody(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const socket = req.socket;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  const half = body.subarray(0, Math.floor(body.length / 2));
  let timer: NodeJS.Timeout | undefined;
  socket.once('close', () => clearTimeout(timer));
  res.write(half, () => {
    // A short pause lets the client read head and half body before the RST arrives; an RST
    // that overtakes unread data makes the kernel drop it, and the client would see a plain reset.
    timer = setTimeout(() => {
      if (!socket.destroyed) socket.resetAndDestroy();
    }, 50);
  });
}

function bomb(res: ServerResponse, encoded: Promise<Buffer>, encoding: 'gzip' | 'br'): void {
  encoded.then(
    (body) => {
      if (res.destroyed) return;
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-encoding': encoding,
        'content-length': body.length,
      });
      res.end(body);
    },
    (err: unknown) => res.destroy(err instanceof Error ? err : new Error(String(err))),
  );
}

function sized(req: IncomingMessage, res: ServerResponse, bytes: number, contentType: string): void {
  const socket = req.socket;
  res.writeHead(200, { 'content-type': contentType, 'content-length': bytes });
  let left = bytes;
  const pump = (): void => {
    // Bounded by `bytes`; a client that goes away destroys the socket and stops it.
    while (left > 0 && !res.destroyed && !socket.destroyed) {
      const n = Math.min(left, SIZED_CHUNK.length);
      left -= n;
      const more = res.write(n === SIZED_CHUNK.length ? SIZED_CHUNK : SIZED_CHUNK.subarray(0, n));
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    if (left === 0 && !res.destroyed) res.end();
  };
  pump();
}

/** Writes a raw head with `count` extra headers, in blocks with backpressure, then a 2-byte body. */
function manyHeaders(req: IncomingMessage, count: number): void {
  const socket = req.socket;
  const BLOCK = 1000;
  let written = 0;
  const pump = (): void => {
    // Bounded by `count`; a client that gives up destroys the socket and stops it.
    while (written < count && !socket.destroyed) {
      const lines: string[] = [];
      const end = Math.min(count, written + BLOCK);
      for (let i = written; i < end; i++) lines.push(`X-H${i}: v${i}\r\n`);
      written = end;
      if (!socket.write(lines.join(''))) {
        socket.once('drain', pump);
        return;
      }
    }
    if (!socket.destroyed) socket.end('\r\nok');
  };
  socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n');
  pump();
}

function endless(req: IncomingMessage, res: ServerResponse, ctx: RespondContext): void {
  const socket = req.socket;
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  let sent = 0;
  // Safety limits: the fixture's own loops are bounded in count and time, like every loop here.
  const deadline = setTimeout(() => socket.destroy(), ctx.endlessMaxMs);
  socket.once('close', () => clearTimeout(deadline));
  const pump = (): void => {
    while (!res.destroyed && !socket.destroyed) {
      if (sent >= ctx.endlessMaxBytes) {
        socket.destroy();
        return;
      }
      sent += ENDLESS_CHUNK.length;
      if (!res.write(ENDLESS_CHUNK)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
