/**
 * The browser prober: checks `mode: "browser"` reports by loading the page in Chromium
 * (the system executable, driven by playwright-core), so content that only JavaScript
 * shows is seen. Same shape and words as the HTTP prober: `probe()` always resolves with
 * a ProbeResult, within checkTimeoutMs of getting a page (plus a little), never throws.
 *
 * All browser traffic leaves through a per-check egress proxy that applies the HTTP
 * prober's resolver and network policy (see egress-proxy.ts and docs/browser-mode.md).
 */
import type { ExpectedHashes, ProbeResult } from '@tdm/core';
import { classifyError } from '../classify.js';
import { CheckAbortedError, CheckTimeoutError } from '../errors.js';
import type { ProbeCallOptions } from '../http-prober.js';
import { createNetworkPolicy, type NetworkPolicy } from '../network-policy.js';
import { createPlaceholderRules, type PlaceholderRules } from '../placeholder.js';
import { createProberResolver, type CheckResolver } from '../resolver.js';
import { BrowserLauncher } from './browser-launcher.js';
import { resolveBrowserOptions, type BrowserProberOptions, type ResolvedBrowserOptions } from './options.js';
import { PageCheck } from './page-check.js';
import { PageSlots } from './page-slots.js';
import { judgePage, type PageObservation, type PageVerdict } from './verdict.js';

export interface BrowserProber {
  /**
   * Checks one URL in a fresh browser context. Waits for a free page first (at most
   * `maxPages` at once); the check's own time (checkTimeoutMs) starts when it has one.
   * Always resolves, never rejects.
   */
  probe(url: string, expected: ExpectedHashes, options?: ProbeCallOptions): Promise<ProbeResult>;
  /** Ends running checks (as `worker_shutdown`) and closes Chromium. */
  close(): Promise<void>;
  /** Counters for tests and diagnostics. */
  stats(): BrowserProberStats;
}

export interface BrowserProberStats {
  /** Chromium processes launched so far (more than 1 means it was relaunched after a crash). */
  launches: number;
  /** Pages open right now, and the most ever open at once. */
  pagesOpen: number;
  peakPages: number;
  /**
   * `host:port` of requests refused by the browser-wide proxy: Chromium's own background
   * requests (update and account services). A page's request here would mean it bypassed
   * its check's egress proxy.
   */
  guardTargets: string[];
}

/** Time allowed to judge a page whose check ran out of time after its document arrived. */
const JUDGE_GRACE_MS = 500;

function rejectAfter(ms: number, error: Error): Promise<never> {
  const promise = new Promise<never>((_, reject) => setTimeout(() => reject(error), ms).unref());
  promise.catch(() => undefined);
  return promise;
}

/** Time kept back from checkTimeoutMs for hashing, judging and closing the context. */
function judgeReserveMs(checkTimeoutMs: number): number {
  return Math.min(1000, Math.floor(checkTimeoutMs * 0.15));
}

function emptyResult(
  url: string,
  outcome: ProbeResult['outcome'],
  reason: ProbeResult['reason'],
  error: string | null,
): ProbeResult {
  return {
    outcome,
    reason,
    httpStatus: null,
    ip: null,
    finalUrl: url,
    redirects: [],
    contentType: null,
    bytes: 0,
    sha256: null,
    sha1: null,
    md5: null,
    error,
  };
}

class ChromiumProber implements BrowserProber {
  readonly #options: ResolvedBrowserOptions;
  readonly #policy: NetworkPolicy;
  readonly #resolver: CheckResolver;
  readonly #placeholders: PlaceholderRules;
  readonly #launcher: BrowserLauncher;
  readonly #slots: PageSlots;
  readonly #running = new Set<AbortController>();
  #closed = false;

  constructor(options: BrowserProberOptions) {
    this.#options = resolveBrowserOptions(options);
    this.#policy = createNetworkPolicy(options.allowRanges);
    // The HTTP prober's resolver, built the same way: the same answers, the same policy.
    this.#resolver = createProberResolver(options, this.#policy);
    this.#placeholders = createPlaceholderRules(options.placeholderUrlPatterns, options.placeholderSha256);
    this.#launcher = new BrowserLauncher({
      executablePath: options.chromiumPath,
      launchTimeoutMs: this.#options.launchTimeoutMs,
    });
    this.#slots = new PageSlots(this.#options.maxPages);
  }

  stats(): BrowserProberStats {
    return {
      launches: this.#launcher.launches,
      pagesOpen: this.#slots.used,
      peakPages: this.#slots.peak,
      guardTargets: this.#launcher.guardTargets,
    };
  }

  async probe(
    url: string,
    expected: ExpectedHashes,
    callOptions: ProbeCallOptions = {},
  ): Promise<ProbeResult> {
    const caller = callOptions.signal;
    if (this.#closed || caller?.aborted)
      return emptyResult(url, 'error', 'worker_shutdown', 'check not started: shutting down');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return emptyResult(url, 'error', 'internal', 'not an absolute URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return emptyResult(url, 'error', 'internal', `unsupported scheme ${parsed.protocol}`);
    }
    const controller = new AbortController();
    const onCallerAbort = (): void => controller.abort(new CheckAbortedError({ cause: caller?.reason }));
    caller?.addEventListener('abort', onCallerAbort, { once: true });
    this.#running.add(controller);
    let release: (() => void) | null = null;
    try {
      release = await this.#slots.acquire(controller.signal);
    } catch {
      caller?.removeEventListener('abort', onCallerAbort);
      this.#running.delete(controller);
      return emptyResult(url, 'error', 'worker_shutdown', 'check not started: shutting down');
    }
    const timeoutMs = this.#options.checkTimeoutMs;
    const timer = setTimeout(() => controller.abort(new CheckTimeoutError(timeoutMs)), timeoutMs);
    const check = new PageCheck(
      { launcher: this.#launcher, resolver: this.#resolver, policy: this.#policy, options: this.#options },
      parsed.href,
      expected,
      Date.now() + timeoutMs - judgeReserveMs(timeoutMs),
    );
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    aborted.catch(() => undefined);
    try {
      const running = check.run();
      running.catch(() => undefined);
      let limit: Promise<never> = aborted;
      try {
        await Promise.race([running, aborted]);
      } catch (error) {
        if (!(error instanceof CheckTimeoutError) || !check.hasDocument)
          return this.#failure(url, error, check);
        // Out of time after a 2xx document arrived: judge what was seen so far, briefly.
        limit = rejectAfter(JUDGE_GRACE_MS, error);
      }
      const observation = await Promise.race([check.observe(), limit]);
      if (caller?.aborted) return this.#failure(url, new CheckAbortedError(), check);
      return this.#result(url, judgePage(observation, this.#rules(expected)), observation);
    } catch (error) {
      return this.#failure(url, error, check);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
      this.#running.delete(controller);
      await check.dispose().catch(() => undefined);
      release();
    }
  }

  #rules(expected: ExpectedHashes): Parameters<typeof judgePage>[1] {
    return { expected, maxRedirects: this.#options.maxRedirects, placeholders: this.#placeholders };
  }

  /** The check ended by abort, timeout or an error of ours (browser launch or crash). */
  #failure(url: string, error: unknown, check: PageCheck): ProbeResult {
    if (error instanceof CheckAbortedError)
      return emptyResult(url, 'error', 'worker_shutdown', 'check aborted by the caller');
    if (error instanceof CheckTimeoutError) {
      // Still waiting for our own resolver says nothing about the target.
      if (check.waitingForDns)
        return emptyResult(url, 'error', 'resolver_unavailable', 'check timed out waiting for DNS');
      return emptyResult(url, 'offline', 'timeout', error.message);
    }
    const verdict = classifyError(error);
    // Anything else thrown here is the browser's or ours (a launch failure, a crash, a
    // closed context), never the target's: it must not count towards a removal.
    const name = error instanceof Error ? error.name : 'Error';
    return emptyResult(
      url,
      'error',
      verdict.outcome === 'error' ? verdict.reason : 'internal',
      `browser: ${name}: ${verdict.message}`,
    );
  }

  #result(url: string, verdict: PageVerdict, observation: PageObservation): ProbeResult {
    const document = observation.document;
    const lastHop = observation.hops[observation.hops.length - 1];
    return {
      outcome: verdict.outcome,
      reason: verdict.reason,
      httpStatus: document?.status ?? lastHop?.status ?? null,
      ip: document?.ip ?? PageCheck.failureAddress(observation),
      finalUrl: document?.url ?? observation.failure?.url ?? url,
      redirects: observation.hops,
      contentType: document?.contentType ?? null,
      bytes: verdict.body?.bytes ?? 0,
      sha256: verdict.body?.sha256 ?? null,
      sha1: verdict.body?.sha1 ?? null,
      md5: verdict.body?.md5 ?? null,
      error: verdict.note,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#running) controller.abort(new CheckAbortedError());
    await this.#launcher.close();
  }
}

/**
 * Creates a browser prober. Chromium is started on the first check, not here. Throws
 * ConfigError for bad options (the same checks as the HTTP prober's, plus its own).
 */
export function createBrowserProber(options: BrowserProberOptions): BrowserProber {
  return new ChromiumProber(options);
}
