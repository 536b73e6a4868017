/**
 * One HTTP request of a check (one hop of a redirect chain), dispatched on the prober's
 * Agent with a handler of our own, so that the body never leaves this module: a 2xx body
 * is decoded (gzip/deflate/br), hashed and dropped chunk by chunk, up to the byte limit;
 * any other body is read and dropped up to a small cap, so the connection can be reused,
 * and otherwise the connection is closed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { ExpectedHashes } from '@tdm/core';
import { BodyDigest, type BodySummary } from './body-digest.js';
import { expectSocketAddress } from './socket-address.js';

/** A non-2xx body longer than this is not drained: the connection is closed instead. */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

export interface HopRequest {
  dispatcher: Dispatcher;
  url: URL;
  headers: Record<string, string>;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Close the connection after this request (no keep-alive). */
  reset: boolean;
  signal: AbortSignal;
  expected: ExpectedHashes;
  maxBodyBytes: number;
  /** Filled in as the hop goes, so a failure after the headers still knows them. */
  observed: HopObservation;
}

export interface HopObservation {
  /** The peer address of the socket the request was written to. */
  ip: string | null;
  /** The response status, once the headers arrived. */
  status: number | null;
}

export interface HopResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The peer address of the socket the request was written to. */
  ip: string | null;
  /** The digest of a 2xx body; null for other statuses. */
  body: BodySummary | null;
  /** A content-free remark, e.g. an encoding we could not decode. */
  note: string | null;
}

/** Marks our own stop of a response (limit reached); never seen outside this module. */
class StopReading extends Error {}

function makeDecoder(encoding: string): Transform | null {
  // Lenient like browsers: a body whose compressed stream lacks its trailer still decodes.
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip({ flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH });
    case 'deflate':
      return createInflate({ flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH });
    case 'br':
      return createBrotliDecompress({
        flush: constants.BROTLI_OPERATION_FLUSH,
        finishFlush: constants.BROTLI_OPERATION_FLUSH,
      });
    default:
      return null;
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

class HopHandler implements Dispatcher.DispatchHandler {
  readonly #request: HopRequest;
  readonly #resolve: (response: HopResponse) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #settled = false;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #digest: BodyDigest | null = null;
  #decoders: Transform[] = [];
  #rawBytes = 0;
  #note: string | null = null;

  constructor(
    request: HopRequest,
    resolve: (response: HopResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.#request = request;
    this.#resolve = resolve;
    this.#reject = reject;
    request.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly #onAbort = (): void => {
    const reason: unknown = this.#request.signal.reason;
    this.#controller?.abort(reason instanceof Error ? reason : new Error(String(reason)));
    this.#fail(reason);
  };

  #cleanup(): void {
    this.#settled = true;
    this.#request.signal.removeEventListener('abort', this.#onAbort);
    for (const decoder of this.#decoders) decoder.destroy();
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#cleanup();
    this.#reject(error);
  }

  /** Settles with what we have; stops the transfer when it is still running. */
  #finish(stopTransfer: boolean): void {
    if (this.#settled) return;
    this.#cleanup();
    const response: HopResponse = {
      status: this.#status,
      headers: this.#headers,
      ip: this.#request.observed.ip,
      body: this.#digest?.summary() ?? null,
      note: this.#note,
    };
    if (stopTransfer) {
      this.#controller?.abort(new StopReading('stop'));
      this.#resolve(response);
    } else {
      // undici hands a kept-alive socket back to its pool only one event-loop turn after
      // the response ended (setImmediate in client-h1); a next request dispatched sooner
      // would open a new connection. Two turns let it be reused.
      setImmediate(() => setImmediate(() => this.#resolve(response)));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#request.signal.aborted || this.#settled) {
      controller.abort(new StopReading('aborted before start'));
      return;
    }
    expectSocketAddress((address) => {
      this.#request.observed.ip = address;
    });
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx answers (103 Early Hints) are not the response.
    if (this.#settled || statusCode < 200) return;
    this.#status = statusCode;
    this.#request.observed.status = statusCode;
    this.#headers = headers;
    if (statusCode > 299) return;

    const digest = new BodyDigest(this.#request.expected, this.#request.maxBodyBytes);
    this.#digest = digest;
    const encodings = (headerValue(headers, 'content-encoding') ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((part) => part !== '' && part !== 'identity');
    const decoders: Transform[] = [];
    for (const encoding of encodings.reverse()) {
      const decoder = makeDecoder(encoding);
      if (!decoder) {
        // Hash the bytes as received rather than guess; say so in the result.
        this.#note = `content-encoding ${encoding.slice(0, 32)} not decoded; hashed as received`;
        decoders.length = 0;
        break;
      }
      decoders.push(decoder);
    }
    if (decoders.length === 0) return;
    this.#decoders = decoders;
    for (let i = 0; i < decoders.length; i++) {
      const decoder = decoders[i] as Transform;
      decoder.on('error', (error: unknown) => this.#fail(error));
      const next = decoders[i + 1];
      if (next) decoder.pipe(next);
    }
    const last = decoders[decoders.length - 1] as Transform;
    last.on('data', (chunk: Buffer) => {
      if (!digest.update(chunk)) this.#finish(true);
    });
    last.on('end', () => this.#finish(false));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#rawBytes += chunk.byteLength;
    const digest = this.#digest;
    if (!digest) {
      // A non-2xx body: dropped; past the cap we stop and close the connection.
      if (this.#rawBytes > DRAIN_LIMIT_BYTES) this.#finish(true);
      return;
    }
    const input = this.#decoders[0];
    if (!input) {
      if (!digest.update(chunk)) this.#finish(true);
      return;
    }
    // Compressed data larger than the limit is pathological (it decodes to less than it
    // weighs); cut it there too, so a stream of empty blocks cannot run forever.
    if (this.#rawBytes > this.#request.maxBodyBytes) {
      digest.markTruncated();
      this.#finish(true);
      return;
    }
    if (!input.write(chunk)) {
      controller.pause();
      input.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    const input = this.#decoders[0];
    if (input) input.end();
    else this.#finish(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    // For a status other than 2xx the answer is in the headers; a failure while dropping
    // its body changes nothing.
    if (this.#status !== 0 && !this.#digest) {
      this.#finish(false);
      return;
    }
    this.#fail(error);
  }
}

/** Sends one GET and resolves with the status, headers, peer address and body digest. */
export function fetchHop(request: HopRequest): Promise<HopResponse> {
  return new Promise<HopResponse>((resolve, reject) => {
    if (request.signal.aborted) {
      reject(request.signal.reason);
      return;
    }
    const handler = new HopHandler(request, resolve, reject);
    request.dispatcher.dispatch(
      {
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: 'GET',
        headers: request.headers,
        headersTimeout: request.headersTimeoutMs,
        bodyTimeout: request.bodyTimeoutMs,
        reset: request.reset,
      },
      handler,
    );
  });
}
