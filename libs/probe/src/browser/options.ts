/**
 * The browser prober's options: the HTTP prober's (the same `Config` field names, so the
 * compiled configuration passes straight through) plus the Chromium executable and the
 * page-level limits.
 */
import { ConfigError } from '@tdm/core';
import { checkProberOptions, type HttpProberOptions } from '../options.js';

/** Pages (browser contexts) open at once per prober when `maxPages` is not given. */
export const DEFAULT_BROWSER_PAGES = 2;
/** Quiet network time after `load` before a page is judged (unless the expected hash is already seen). */
export const DEFAULT_SETTLE_MS = 1000;
/** Media responses hashed at most per check. */
export const DEFAULT_MAX_MEDIA_RESPONSES = 64;
/** Time allowed to start Chromium. */
export const DEFAULT_LAUNCH_TIMEOUT_MS = 30_000;

export interface BrowserProberOptions extends Omit<HttpProberOptions, 'keepAlive' | 'ca'> {
  /** The Chromium executable (the system package, e.g. /usr/bin/chromium; never a downloaded browser). */
  chromiumPath: string;
  /** Pages checked at once; more checks wait for a free page. @default DEFAULT_BROWSER_PAGES */
  maxPages?: number;
  /**
   * After the `load` event, the page is judged once the network has been quiet (no
   * request in flight) this long, so media inserted by scripts are seen.
   * @default DEFAULT_SETTLE_MS
   */
  settleMs?: number;
  /** Media responses hashed at most per check. @default DEFAULT_MAX_MEDIA_RESPONSES */
  maxMediaResponses?: number;
  /** Time allowed to start Chromium. @default DEFAULT_LAUNCH_TIMEOUT_MS */
  launchTimeoutMs?: number;
}

/** The options with every default filled in. */
export type ResolvedBrowserOptions = BrowserProberOptions & {
  maxPages: number;
  settleMs: number;
  maxMediaResponses: number;
  launchTimeoutMs: number;
};

function positiveInteger(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new ConfigError(`${name}: ${value} is not an integer in 1..${max}`);
}

/** Checks the options (ConfigError) and fills in the defaults. */
export function resolveBrowserOptions(options: BrowserProberOptions): ResolvedBrowserOptions {
  checkProberOptions(options);
  if (options.chromiumPath.trim() === '') throw new ConfigError('chromiumPath: empty');
  const resolved: ResolvedBrowserOptions = {
    ...options,
    maxPages: options.maxPages ?? DEFAULT_BROWSER_PAGES,
    settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
    maxMediaResponses: options.maxMediaResponses ?? DEFAULT_MAX_MEDIA_RESPONSES,
    launchTimeoutMs: options.launchTimeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS,
  };
  positiveInteger('maxPages', resolved.maxPages, 64);
  positiveInteger('maxMediaResponses', resolved.maxMediaResponses, 10_000);
  positiveInteger('launchTimeoutMs', resolved.launchTimeoutMs, 600_000);
  if (!Number.isFinite(resolved.settleMs) || resolved.settleMs < 0)
    throw new ConfigError(`settleMs: ${resolved.settleMs} is not >= 0`);
  return resolved;
}
