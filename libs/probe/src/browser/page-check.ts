/**
 * One check in the browser: a fresh context behind its own egress proxy, one page, the
 * navigation, a wait for the network to settle (so media inserted by scripts are seen),
 * and the observation the verdict is made from. `dispose()` closes the context and the
 * proxy whatever happened.
 */
import type { BrowserContext, Page, Request } from 'playwright-core';
import { sleep, type ExpectedHashes, type RedirectHop } from '@tdm/core';
import { errorAddress } from '../classify.js';
import type { NetworkPolicy } from '../network-policy.js';
import type { CheckResolver } from '../resolver.js';
import type { BrowserLauncher } from './browser-launcher.js';
import { startEgressProxy, type EgressProxy } from './egress-proxy.js';
import { authorityOf } from './proxy-targets.js';
import { netErrorName } from './net-errors.js';
import type { ResolvedBrowserOptions } from './options.js';
import { PageObserver, type Navigation } from './page-observer.js';
import type { DocumentObservation, PageObservation } from './verdict.js';

export interface PageCheckDeps {
  launcher: BrowserLauncher;
  resolver: CheckResolver;
  policy: NetworkPolicy;
  options: ResolvedBrowserOptions;
}

/** Runs in every frame before the page's scripts: no WebRTC (peer connections could carry traffic we cannot see). */
const DISABLE_WEBRTC = `(() => {
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCRtpSender', 'RTCRtpReceiver']) {
    try { Object.defineProperty(globalThis, name, { value: undefined, writable: false, configurable: false }); } catch {}
  }
})();`;

/** Net errors that mean "the proxy would not or could not connect": its own record says why. */
const PROXY_SIDE_ERRORS = new Set([
  'ERR_TUNNEL_CONNECTION_FAILED',
  'ERR_PROXY_CONNECTION_FAILED',
  'ERR_EMPTY_RESPONSE',
  'ERR_CONNECTION_CLOSED',
]);

const CONTEXT_CLOSE_MS = 5000;
const POLL_MS = 50;

export class PageCheck {
  readonly #deps: PageCheckDeps;
  readonly #url: string;
  readonly #expected: ExpectedHashes;
  /** Epoch ms by which the page must be judged (leaves room for hashing and closing). */
  readonly #judgeBy: number;
  #proxy: EgressProxy | null = null;
  #context: BrowserContext | null = null;
  #page: Page | null = null;
  #observer: PageObserver | null = null;
  #navigationError: unknown = null;

  constructor(deps: PageCheckDeps, url: string, expected: ExpectedHashes, judgeBy: number) {
    this.#deps = deps;
    this.#url = url;
    this.#expected = expected;
    this.#judgeBy = judgeBy;
  }

  /** Loads the page and waits for it to settle; then call observe(). */
  async run(): Promise<void> {
    const { launcher, resolver, policy, options } = this.#deps;
    const { browser } = await launcher.get();
    this.#proxy = await startEgressProxy({
      resolver,
      policy,
      connectTimeoutMs: options.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs,
    });
    this.#context = await browser.newContext({
      // Everything this context sends goes through this check's proxy; Playwright adds
      // the `<-loopback>` bypass rule, so loopback and private names are proxied too.
      proxy: { server: this.#proxy.url },
      serviceWorkers: 'block',
      acceptDownloads: false,
      userAgent: options.userAgent,
      ignoreHTTPSErrors: false,
      javaScriptEnabled: true,
      permissions: [],
    });
    await this.#context.addInitScript(DISABLE_WEBRTC);
    const page = await this.#context.newPage();
    this.#page = page;
    this.#observer = new PageObserver(page, {
      expected: this.#expected,
      maxBytes: options.maxBodyBytes,
      maxMedia: options.maxMediaResponses,
      proxy: this.#proxy,
    });
    try {
      await page.goto(this.#url, { waitUntil: 'load', timeout: Math.max(1, this.#judgeBy - Date.now()) });
    } catch (error) {
      // Judged from what the observer saw: a document may have arrived even though
      // `load` never came (a hanging subresource, a download).
      this.#navigationError = error;
    }
    const document = this.#chosenNavigation()?.response;
    if (document && document.status() >= 200 && document.status() <= 299) await this.#settle();
  }

  /** Waits until the network has been quiet for settleMs, the expected hash was seen, or time is up. */
  async #settle(): Promise<void> {
    const observer = this.#observer;
    if (!observer) return;
    const { settleMs, maxMediaResponses } = this.#deps.options;
    const maxPolls = Math.ceil((this.#judgeBy - Date.now()) / POLL_MS) + 1;
    for (let poll = 0; poll < maxPolls && Date.now() < this.#judgeBy; poll++) {
      if (observer.isMatched) break;
      if (observer.busy === 0 && observer.quietFor() >= settleMs) break;
      await Promise.race([sleep(Math.min(POLL_MS, this.#judgeBy - Date.now())), observer.matched]);
    }
    if (!observer.isMatched && this.#page && maxMediaResponses > 0) {
      await Promise.race([
        observer.hashInlineSources().catch(() => undefined),
        sleep(this.#judgeBy - Date.now()),
      ]);
    }
  }

  /** The navigation the verdict is about: the newest main-frame one that got an answer. */
  #chosenNavigation(): Navigation | undefined {
    const navigations = this.#observer?.navigations ?? [];
    // A navigation a download or a newer navigation cancelled (ERR_ABORTED) says
    // nothing; the one before it stands.
    for (let i = navigations.length - 1; i >= 0; i--) {
      const navigation = navigations[i];
      if (!navigation) continue;
      if (navigation.response) return navigation;
      if (navigation.failure !== null && netErrorName(navigation.failure) !== 'ERR_ABORTED')
        return navigation;
    }
    return navigations[navigations.length - 1];
  }

  /** True when the check has a main document that answered 2xx. */
  get hasDocument(): boolean {
    const status = this.#chosenNavigation()?.response?.status();
    return status !== undefined && status >= 200 && status <= 299;
  }

  /** True while the egress proxy still waits for our resolver on the URL the navigation is at. */
  get waitingForDns(): boolean {
    const navigation = this.#chosenNavigation();
    const at = navigation ? navigation.request.url() : this.#url;
    try {
      return this.#proxy?.lookingUp(new URL(at).hostname) ?? false;
    } catch {
      return false;
    }
  }

  #ipOf(url: string): string | null {
    const authority = authorityOf(url);
    return (authority && this.#proxy?.record(authority)?.address) || null;
  }

  /** What the page showed, for judgePage(). Waits for bodies still being hashed (bounded by the caller). */
  async observe(): Promise<PageObservation> {
    const observer = this.#observer;
    await observer?.drain();
    const navigation = this.#chosenNavigation();
    const hops: RedirectHop[] = [];
    if (navigation) {
      const earlier: Request[] = [];
      for (let r = navigation.request.redirectedFrom(); r && earlier.length < 64; r = r.redirectedFrom())
        earlier.unshift(r);
      for (const request of earlier) {
        const response = await request.response();
        hops.push({ url: request.url(), status: response?.status() ?? 0, ip: this.#ipOf(request.url()) });
      }
    }
    let document: DocumentObservation | null = null;
    let failure: PageObservation['failure'] = null;
    const response = navigation?.response;
    if (response) {
      const url = response.url();
      const headers = response.headers();
      document = {
        url,
        status: response.status(),
        contentType: headers['content-type'] ?? null,
        ip: this.#ipOf(url),
      };
      if (this.#proxy?.isMarked(headers)) {
        const authority = authorityOf(url);
        document.proxyFailure =
          this.#proxy.failureOfUrl(url) ??
          (authority ? this.#proxy.record(authority)?.failure : undefined) ??
          new Error('egress proxy refused');
      }
    } else {
      const url = navigation?.request.url() ?? this.#url;
      const navigationMessage = this.#navigationError instanceof Error ? this.#navigationError.message : null;
      const netError = netErrorName(navigation?.failure) ?? netErrorName(navigationMessage);
      const authority = authorityOf(url);
      const recorded = authority ? this.#proxy?.record(authority)?.failure : undefined;
      const proxyFailure = netError === null || PROXY_SIDE_ERRORS.has(netError) ? recorded : undefined;
      failure = { url, netError, proxyFailure };
    }
    return {
      hops,
      document,
      failure,
      bodies: [...(observer?.bodies ?? [])],
      unverified: observer?.unverified ?? 0,
      refusedByPolicy: this.#proxy?.stats.refusedByPolicy ?? 0,
    };
  }

  /** The address a failure names (a refused or blocked connection), if any. */
  static failureAddress(observation: PageObservation): string | null {
    return observation.failure ? errorAddress(observation.failure.proxyFailure) : null;
  }

  /** Closes the context (bounded; a wedged browser is closed instead) and the proxy. */
  async dispose(): Promise<void> {
    const context = this.#context;
    this.#context = null;
    this.#page = null;
    if (context) {
      const closed = context.close().then(
        () => true,
        () => true,
      );
      const inTime = await Promise.race([closed, sleep(CONTEXT_CLOSE_MS).then(() => false)]);
      if (!inTime) await this.#deps.launcher.discard(context.browser());
    }
    await this.#proxy?.close();
  }
}
