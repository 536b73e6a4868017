/**
 * One Chromium per prober: launched on first use, launched again after it crashed or
 * was killed, closed with the prober. Launches are serialised (one promise), so checks
 * that arrive together share one start.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { ConfigError, SETTINGS } from '@tdm/core';
import { chromiumArgs } from './chromium-args.js';
import { startRefusingProxy, type RefusingProxy } from './refusing-proxy.js';

export interface BrowserLauncherOptions {
  executablePath: string;
  launchTimeoutMs: number;
}

export interface LaunchedBrowser {
  browser: Browser;
}

export class BrowserLauncher {
  readonly #options: BrowserLauncherOptions;
  #current: Promise<LaunchedBrowser> | null = null;
  #closed = false;
  #launches = 0;
  readonly #guards: RefusingProxy[] = [];

  constructor(options: BrowserLauncherOptions) {
    this.#options = options;
  }

  /** Chromium processes started so far (a crash shows as a second launch). */
  get launches(): number {
    return this.#launches;
  }

  /**
   * Targets of the requests the browser-wide refusing proxy refused, over all launches
   * (Chromium's own background requests; never a page's).
   */
  get guardTargets(): string[] {
    return this.#guards.flatMap((guard) => guard.targets);
  }

  /** The running browser, launching it when there is none. Rejects when the launch fails. */
  async get(): Promise<LaunchedBrowser> {
    const current = this.#current;
    if (current) {
      const launched = await current;
      // Died, and its 'disconnected' event is still on its way: do not hand it out.
      if (launched.browser.isConnected() || this.#closed) return launched;
      if (this.#current === current) this.#current = null;
    }
    return this.#start();
  }

  #start(): Promise<LaunchedBrowser> {
    if (this.#closed) return Promise.reject(new Error('browser prober closed'));
    if (this.#current === null) {
      const launching = this.#launch();
      this.#current = launching;
      // A failed launch is not kept: the next check tries again.
      launching.catch(() => {
        if (this.#current === launching) this.#current = null;
      });
    }
    return this.#current;
  }

  async #launch(): Promise<LaunchedBrowser> {
    // Checked first: Playwright leaves its temporary folders behind when the executable is missing.
    if (!existsSync(this.#options.executablePath))
      throw new ConfigError(
        `Chromium not found at ${this.#options.executablePath} (set ${SETTINGS.chromiumPath.env})`,
      );
    // Browser-wide proxy: a refusing one. Every context sets its own egress proxy; this
    // only catches traffic that would somehow not use it.
    const guard = await startRefusingProxy();
    let browser: Browser;
    try {
      // Loaded on first launch, not when @tdm/probe is imported: playwright-core adds
      // ~80 MB to every process (scheduler, results, http crawlers) that never opens a page.
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: this.#options.executablePath,
        headless: true,
        args: chromiumArgs(),
        // Playwright adds --proxy-bypass-list=<-loopback>, so loopback is proxied too.
        proxy: { server: guard.url },
        timeout: this.#options.launchTimeoutMs,
        // Our process lifecycle closes the browser; do not let Playwright kill it on signals.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        chromiumSandbox: false,
        // Keep shared memory (which holds decoded frames) on /dev/shm, a tmpfs, not under
        // /tmp. (Debian's wrapper adds the switch back itself when /dev/shm is small.)
        ignoreDefaultArgs: ['--disable-dev-shm-usage'],
      });
    } catch (error) {
      await guard.close();
      throw error;
    }
    this.#launches++;
    this.#guards.push(guard);
    if (this.#guards.length >= 16) this.#guards.shift();
    const launched: LaunchedBrowser = { browser };
    const current = this.#current;
    browser.once('disconnected', () => {
      void guard.close();
      // Crashed or killed: the next check launches a new one.
      if (this.#current === current) this.#current = null;
    });
    return launched;
  }

  /**
   * Closes a browser that stopped answering (e.g. a context that would not close), so the
   * next check launches a fresh one.
   */
  async discard(browser: Browser | null): Promise<void> {
    const current = this.#current;
    if (current) {
      const launched = await current.catch(() => null);
      if (launched && (browser === null || launched.browser === browser) && this.#current === current)
        this.#current = null;
    }
    await browser?.close().catch(() => undefined);
  }

  /** Closes the browser (if any) and refuses further launches. */
  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current;
    this.#current = null;
    if (!current) return;
    try {
      const { browser } = await current;
      await browser.close();
    } catch {
      // A launch that failed, or a browser already gone: nothing to close.
    }
  }
}
