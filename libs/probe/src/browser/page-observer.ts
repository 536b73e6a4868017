/**
 * Watches one page while it loads: the main frame's navigations (with their redirect
 * chains), requests in flight (to know when the network is quiet), and the bodies of the
 * main document and of every image/media response, hashed within the check's limits.
 * Bodies are hashed as soon as Chromium hands them over and dropped: nothing is kept.
 */
import { createHash } from 'node:crypto';
import type { Page, Request, Response } from 'playwright-core';
import type { ExpectedHashes } from '@tdm/core';
import type { EgressProxy } from './egress-proxy.js';

/** One body the page received (or showed), hashed. */
export interface HashedBody {
  url: string;
  kind: 'document' | 'media';
  bytes: number;
  sha256: string;
  sha1: string | null;
  md5: string | null;
}

/** One main-frame navigation request. */
export interface Navigation {
  request: Request;
  response: Response | null;
  /** Chromium's error text (`net::ERR_…`) when it failed. */
  failure: string | null;
}

export interface PageObserverOptions {
  expected: ExpectedHashes;
  /** Body bytes hashed at most in this check (documents and media together). */
  maxBytes: number;
  /** Media responses hashed at most. */
  maxMedia: number;
  proxy: EgressProxy;
}

const MEDIA_TYPES = new Set(['image', 'media']);

/** Hashes a whole buffer: SHA-256 always, SHA-1 / MD5 when the report carries them. */
export function hashBytes(
  url: string,
  kind: HashedBody['kind'],
  data: Uint8Array,
  expected: ExpectedHashes,
): HashedBody {
  return {
    url,
    kind,
    bytes: data.byteLength,
    sha256: createHash('sha256').update(data).digest('hex'),
    sha1: expected.sha1 ? createHash('sha1').update(data).digest('hex') : null,
    md5: expected.md5 ? createHash('md5').update(data).digest('hex') : null,
  };
}

/** True when the body carries every expected hash that the report gives (and there is at least one). */
export function matchesExpected(body: HashedBody, expected: ExpectedHashes): boolean {
  const pairs: Array<[string | undefined, string | null]> = [
    [expected.sha256, body.sha256],
    [expected.sha1, body.sha1],
    [expected.md5, body.md5],
  ];
  const given = pairs.filter(([want]) => want !== undefined && want !== '');
  return (
    given.length > 0 &&
    given.every(([want, got]) => got !== null && want?.toLowerCase() === got.toLowerCase())
  );
}

export class PageObserver {
  readonly #page: Page;
  readonly #options: PageObserverOptions;
  readonly navigations: Navigation[] = [];
  readonly bodies: HashedBody[] = [];
  /** Media (or documents) that could not be hashed: over the byte or count limit, partial (206), or unreadable. */
  unverified = 0;
  #budget: number;
  #mediaTaken = 0;
  #inflight = 0;
  #lastActivity = Date.now();
  readonly #pending = new Set<Promise<void>>();
  #matched = false;
  #onMatch: () => void = () => undefined;
  /** Resolves when a hashed body matches the expected hashes. */
  readonly matched: Promise<void>;

  constructor(page: Page, options: PageObserverOptions) {
    this.#page = page;
    this.#options = options;
    this.#budget = options.maxBytes;
    this.matched = new Promise((resolve) => {
      this.#onMatch = resolve;
    });
    page.on('request', (request) => this.#onRequest(request));
    page.on('requestfinished', (request) => this.#onSettled(request, null));
    page.on('requestfailed', (request) =>
      this.#onSettled(request, request.failure()?.errorText ?? 'net::ERR_FAILED'),
    );
    page.on('response', (response) => this.#onResponse(response));
  }

  get isMatched(): boolean {
    return this.#matched;
  }

  /** Requests in flight plus bodies still being hashed. */
  get busy(): number {
    return this.#inflight + this.#pending.size;
  }

  /** Milliseconds since the last request started or ended. */
  quietFor(now = Date.now()): number {
    return now - this.#lastActivity;
  }

  /** Waits for the bodies being hashed (their own promise; bounded by the caller's deadline). */
  async drain(): Promise<void> {
    for (let round = 0; round < 10 && this.#pending.size > 0; round++)
      await Promise.allSettled([...this.#pending]);
  }

  #isMainNavigation(request: Request): boolean {
    try {
      return request.isNavigationRequest() && request.frame() === this.#page.mainFrame();
    } catch {
      // Service-worker requests have no frame.
      return false;
    }
  }

  #onRequest(request: Request): void {
    this.#inflight++;
    this.#lastActivity = Date.now();
    if (this.#isMainNavigation(request)) this.navigations.push({ request, response: null, failure: null });
  }

  #onSettled(request: Request, failure: string | null): void {
    this.#inflight = Math.max(0, this.#inflight - 1);
    this.#lastActivity = Date.now();
    if (failure !== null) {
      const navigation = this.navigations.find((n) => n.request === request);
      if (navigation) navigation.failure = failure;
    }
  }

  #onResponse(response: Response): void {
    const request = response.request();
    this.#lastActivity = Date.now();
    const navigation = this.navigations.find((n) => n.request === request);
    if (navigation) navigation.response = response;
    const status = response.status();
    if (status < 200 || status > 299 || this.#options.proxy.isMarked(response.headers())) return;
    if (navigation) {
      this.#hash(response, 'document');
    } else if (MEDIA_TYPES.has(request.resourceType())) {
      if (this.#mediaTaken >= this.#options.maxMedia) {
        this.unverified++;
        return;
      }
      this.#mediaTaken++;
      // A partial response covers part of the file: its hash says nothing about the whole.
      if (status === 206) {
        this.unverified++;
        return;
      }
      this.#hash(response, 'media');
    }
  }

  #hash(response: Response, kind: HashedBody['kind']): void {
    const declared = Number(response.headers()['content-length']);
    // Reserve what the response says it carries; a body that says nothing reserves 0
    // and is checked against the budget once it is here.
    const reserved = Number.isFinite(declared) && declared >= 0 ? declared : 0;
    if (reserved > this.#budget) {
      this.unverified++;
      return;
    }
    this.#budget -= reserved;
    const work = (async () => {
      let data: Buffer;
      try {
        data = await response.body();
      } catch {
        // Gone (page closed, redirect, evicted): not hashable.
        this.#budget += reserved;
        this.unverified++;
        return;
      }
      const extra = data.byteLength - reserved;
      if (extra > this.#budget) {
        this.#budget += reserved;
        this.unverified++;
        return;
      }
      this.#budget -= extra;
      // Chromium hands over no bytes for an image that does not decode: nothing to compare
      // (and such a response cannot be the reported picture).
      if (kind === 'media' && data.byteLength === 0) return;
      this.#add(hashBytes(response.url(), kind, data, this.#options.expected));
    })();
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  #add(body: HashedBody): void {
    this.bodies.push(body);
    if (!this.#matched && matchesExpected(body, this.#options.expected)) {
      this.#matched = true;
      this.#onMatch();
    }
  }

  /**
   * The current sources of the page's img/video/audio elements that never crossed the
   * network (`data:` URLs, e.g. an image a script built): decoded and hashed here, within
   * the same limits. Network sources are already covered by the responses.
   */
  async hashInlineSources(): Promise<void> {
    const limit = Math.ceil((this.#budget * 4) / 3) + 256;
    const max = Math.max(0, this.#options.maxMedia - this.#mediaTaken);
    if (max === 0 || this.#budget <= 0) return;
    // A string, not a function: this package is compiled without the DOM's types.
    const script = `(() => {
      const out = [];
      for (const element of Array.from(document.querySelectorAll('img, video, audio, source'))) {
        const source = element.currentSrc || element.src || '';
        if (source.startsWith('data:') && source.length <= ${limit}) out.push(source);
        if (out.length >= ${max}) break;
      }
      return out;
    })()`;
    const found: unknown = await this.#page.evaluate(script);
    const sources = Array.isArray(found)
      ? found.filter((s): s is string => typeof s === 'string').slice(0, max)
      : [];
    for (const source of new Set(sources)) {
      const data = decodeDataUrl(source);
      if (data === null) continue;
      this.#mediaTaken++;
      if (data.byteLength > this.#budget) {
        this.unverified++;
        continue;
      }
      this.#budget -= data.byteLength;
      this.#add(hashBytes('data:', 'media', data, this.#options.expected));
    }
  }
}

/** Decodes a `data:` URL's payload (base64 or percent-encoded); null when malformed. */
export function decodeDataUrl(url: string): Buffer | null {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) return null;
  const meta = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  try {
    if (/;base64$/i.test(meta)) return Buffer.from(decodeURIComponent(payload), 'base64');
    return Buffer.from(decodeURIComponent(payload), 'latin1');
  } catch {
    return null;
  }
}
