/**
 * The HTTP prober: one undici Agent per prober, our resolver and network policy on every
 * connection, redirects followed by hand (so every hop is resolved, checked and
 * recorded), the body streamed through hashes, and the whole check bounded by
 * checkTimeoutMs. `probe()` never throws for anything the target or the network does.
 */
import { Agent } from 'undici';
import { mediaTypeEssence, type ExpectedHashes, type ProbeResult, type RedirectHop } from '@tdm/core';
import {
  classifyBody,
  classifyError,
  classifyRedirect,
  classifyStatus,
  errorAddress,
  type Classification,
} from './classify.js';
import { createPolicyConnector } from './connector.js';
import { CheckAbortedError, CheckTimeoutError } from './errors.js';
import { fetchHop, type HopObservation } from './hop.js';
import { isSoftRemoval } from './media-type.js';
import { createNetworkPolicy } from './network-policy.js';
import { checkProberOptions, DEFAULT_MAX_HEADER_BYTES, type HttpProberOptions } from './options.js';
import { createPlaceholderRules, type PlaceholderRules } from './placeholder.js';
import { decodeHeaderBytes } from './header-text.js';
import { createProberResolver, type CheckResolver } from './resolver.js';
import { watchSocketAddresses } from './socket-address.js';

export interface ProbeCallOptions {
  /** Aborting it ends the check at once with outcome `error`, reason `worker_shutdown`. */
  signal?: AbortSignal;
}

export interface HttpProber {
  /** Checks one URL. Always resolves (within checkTimeoutMs plus a little), never rejects. */
  probe(url: string, expected: ExpectedHashes, options?: ProbeCallOptions): Promise<ProbeResult>;
  /** Ends checks still running (as `worker_shutdown`) and closes every connection. */
  close(): Promise<void>;
}

/** What a check has seen so far; turned into the result however the check ends. */
interface ProbeState {
  finalUrl: string;
  redirects: RedirectHop[];
  ip: string | null;
  httpStatus: number | null;
  contentType: string | null;
  /** Waiting for our resolver, or talking HTTP. */
  phase: 'dns' | 'http';
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function resolveLocation(value: string | string[] | undefined, base: URL): URL | null {
  const location = headerText(value);
  if (location === null || location.trim() === '') return null;
  try {
    return new URL(decodeHeaderBytes(location.trim()), base);
  } catch {
    return null;
  }
}

function result(
  state: ProbeState,
  verdict: Classification,
  extra: Partial<Pick<ProbeResult, 'bytes' | 'sha256' | 'sha1' | 'md5' | 'error'>> = {},
): ProbeResult {
  return {
    outcome: verdict.outcome,
    reason: verdict.reason,
    httpStatus: state.httpStatus,
    ip: state.ip,
    finalUrl: state.finalUrl,
    redirects: state.redirects,
    contentType: state.contentType,
    bytes: extra.bytes ?? 0,
    sha256: extra.sha256 ?? null,
    sha1: extra.sha1 ?? null,
    md5: extra.md5 ?? null,
    error: extra.error ?? null,
  };
}

class UndiciHttpProber implements HttpProber {
  readonly #options: HttpProberOptions;
  readonly #resolver: CheckResolver;
  readonly #placeholders: PlaceholderRules;
  readonly #agent: Agent;
  readonly #headers: Record<string, string>;
  readonly #running = new Set<AbortController>();
  #closed = false;

  constructor(options: HttpProberOptions) {
    checkProberOptions(options);
    this.#options = options;
    const policy = createNetworkPolicy(options.allowRanges);
    this.#resolver = createProberResolver(options, policy);
    this.#placeholders = createPlaceholderRules(options.placeholderUrlPatterns, options.placeholderSha256);
    watchSocketAddresses();
    this.#agent = new Agent({
      connect: createPolicyConnector({
        connectTimeoutMs: options.connectTimeoutMs,
        lookup: this.#resolver.lookup,
        policy,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      }),
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.headersTimeoutMs,
      maxHeaderSize: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    });
    this.#headers = {
      'user-agent': options.userAgent,
      accept: '*/*',
      'accept-encoding': 'gzip, deflate, br',
    };
  }

  async probe(
    url: string,
    expected: ExpectedHashes,
    callOptions: ProbeCallOptions = {},
  ): Promise<ProbeResult> {
    const state: ProbeState = {
      finalUrl: url,
      redirects: [],
      ip: null,
      httpStatus: null,
      contentType: null,
      phase: 'dns',
    };
    const caller = callOptions.signal;
    if (this.#closed || caller?.aborted) {
      return result(
        state,
        { outcome: 'error', reason: 'worker_shutdown' },
        { error: 'check not started: shutting down' },
      );
    }
    const controller = new AbortController();
    const onCallerAbort = (): void => controller.abort(new CheckAbortedError({ cause: caller?.reason }));
    caller?.addEventListener('abort', onCallerAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(new CheckTimeoutError(this.#options.checkTimeoutMs)),
      this.#options.checkTimeoutMs,
    );
    // Settles the check the moment it is aborted, even if a lookup or connect still runs
    // (undici only notices an abort once the connection is up).
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    aborted.catch(() => undefined);
    this.#running.add(controller);
    try {
      return await Promise.race([this.#run(url, expected, state, controller.signal), aborted]);
    } catch (error) {
      return this.#failure(state, error);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
      this.#running.delete(controller);
    }
  }

  #failure(state: ProbeState, error: unknown): ProbeResult {
    const verdict = classifyError(error, { phase: state.phase });
    state.ip = errorAddress(error) ?? state.ip;
    return result(state, verdict, { error: verdict.message });
  }

  async #run(
    url: string,
    expected: ExpectedHashes,
    state: ProbeState,
    signal: AbortSignal,
  ): Promise<ProbeResult> {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      return result(state, { outcome: 'error', reason: 'internal' }, { error: 'not an absolute URL' });
    }
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      return result(
        state,
        { outcome: 'error', reason: 'internal' },
        { error: `unsupported scheme ${current.protocol}` },
      );
    }
    for (let followed = 0; ;) {
      state.finalUrl = current.href;
      state.ip = null;
      state.httpStatus = null;
      state.contentType = null;
      // Resolved per hop, even when a pooled connection exists, so that a name that
      // vanished (or now points somewhere refused) is seen by this very check.
      state.phase = 'dns';
      const addresses = await this.#resolver.resolve(current.hostname);
      state.phase = 'http';
      state.ip = addresses[0]?.address ?? null;
      const observed: HopObservation = { ip: null, status: null };
      let response;
      try {
        response = await fetchHop({
          dispatcher: this.#agent,
          url: current,
          headers: this.#headers,
          headersTimeoutMs: this.#options.headersTimeoutMs,
          bodyTimeoutMs: this.#options.headersTimeoutMs,
          reset: this.#options.keepAlive === false,
          signal,
          expected,
          maxBodyBytes: this.#options.maxBodyBytes,
          observed,
        });
      } finally {
        state.ip = observed.ip ?? state.ip;
        state.httpStatus = observed.status;
      }
      state.contentType = headerText(response.headers['content-type']);

      if (response.status >= 300 && response.status <= 399) {
        const target = resolveLocation(response.headers.location, current);
        state.redirects.push({ url: current.href, status: response.status, ip: state.ip });
        const verdict = classifyRedirect({
          target,
          followed,
          maxRedirects: this.#options.maxRedirects,
          isPlaceholderUrl: this.#placeholders.isPlaceholderUrl,
        });
        if (verdict === 'follow' && target) {
          current = target;
          followed++;
          continue;
        }
        // The chain ends where it pointed: the placeholder, or the hop we did not follow.
        if (target) state.finalUrl = target.href;
        return result(state, verdict === 'follow' ? classifyStatus(response.status) : verdict, {
          error:
            verdict !== 'follow' && verdict.reason === 'too_many_redirects'
              ? `more than ${this.#options.maxRedirects} redirects`
              : null,
        });
      }

      const body = response.body;
      if (!body) return result(state, classifyStatus(response.status), { error: response.note });
      const notes = [
        body.truncated ? `body cut at ${body.bytes} bytes; hashes cover the part read` : null,
        response.note,
      ];
      const verdict = classifyBody(
        { ...body, contentType: state.contentType },
        expected,
        this.#placeholders.isPlaceholderHash,
      );
      if (isSoftRemoval(expected.contentType, state.contentType)) {
        notes.unshift(
          `${mediaTypeEssence(state.contentType)} where ${mediaTypeEssence(expected.contentType)} was first seen`,
        );
      }
      return result(state, verdict, {
        bytes: body.bytes,
        sha256: body.sha256,
        sha1: body.sha1,
        md5: body.md5,
        error: notes.filter((note) => note !== null).join('; ') || null,
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#running) controller.abort(new CheckAbortedError());
    await this.#agent.destroy();
  }
}

/** Creates a prober with its own connection pool. Throws ConfigError for bad options. */
export function createHttpProber(options: HttpProberOptions): HttpProber {
  return new UndiciHttpProber(options);
}
