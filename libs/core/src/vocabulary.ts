/**
 * The product's closed vocabularies, each written once as a `const` array with the type
 * derived from it: modes, item states, check outcomes, reasons, hash names and lengths,
 * and the media-type essence. The bus codec, the API's JSON schemas (`enum: [...]`), the
 * routes, the store and the command-line options import them from here, so adding a word
 * is one edit. (The SQL CHECK constraints in the store's migrations are history and spell
 * the words out; a new word needs a migration anyway.)
 */

/** How an item is fetched: a plain HTTP GET, or a page load in Chromium. */
export const MODES = ['http', 'browser'] as const;
export type Mode = (typeof MODES)[number];

/** An item's state: `pending` until its first conclusive check. */
export const ITEM_STATES = ['pending', 'online', 'offline'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

/**
 * What one check saw. `error` means the check failed for a reason on our side (worker
 * shutdown, resolver unreachable, network-policy refusal, a bug, being rate limited); it
 * says nothing about the target and never counts towards a removal.
 */
export const OUTCOMES = ['online', 'offline', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Why a check saw the item offline. Definitive reasons confirm a removal after
 * `confirmDefinitive` consecutive checks; transient ones need `confirmTransient` checks
 * spread over `confirmTransientMinSpanMs` (see reasonClass()).
 */
export const OFFLINE_REASONS = [
  'http_404',
  'http_410',
  'http_451',
  'http_4xx',
  'http_5xx',
  'dns_nxdomain',
  'dns_temporary',
  'connection_refused',
  'connection_reset',
  'tls_error',
  'timeout',
  'too_many_redirects',
  'content_changed',
  'placeholder',
] as const;
export type OfflineReason = (typeof OFFLINE_REASONS)[number];

/** Why a check ended as `error`: our side's fault, never the target's removal. */
export const ERROR_REASONS = [
  'blocked', // the network policy refused the address (before any packet was sent)
  'rate_limited', // the target answered 429: we were too fast, its state is unknown
  'resolver_unavailable', // our DNS servers did not answer at all
  'worker_shutdown', // the worker stopped while the check ran
  'internal', // a bug or an unexpected local failure
] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

/** Every reason a check can carry: offline ones, then error ones. */
export const REASONS = [...OFFLINE_REASONS, ...ERROR_REASONS] as const;
export type Reason = (typeof REASONS)[number];

export type ReasonClass = 'definitive' | 'transient';

const DEFINITIVE: ReadonlySet<OfflineReason> = new Set<OfflineReason>([
  'http_404',
  'http_410',
  'http_451',
  'http_4xx',
  'dns_nxdomain',
  'content_changed',
  'placeholder',
]);

/** Definitive reasons say the content is gone; transient ones may be noise (5xx, timeouts, resets). */
export function reasonClass(reason: OfflineReason): ReasonClass {
  return DEFINITIVE.has(reason) ? 'definitive' : 'transient';
}

/** True when `value` is one of `words` (a type guard for the vocabularies above). */
export function isOneOf<const T extends string>(words: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (words as readonly string[]).includes(value);
}

export function isMode(value: unknown): value is Mode {
  return isOneOf(MODES, value);
}

export function isOutcome(value: unknown): value is Outcome {
  return isOneOf(OUTCOMES, value);
}

export function isReason(value: unknown): value is Reason {
  return isOneOf(REASONS, value);
}

export function isOfflineReason(value: string): value is OfflineReason {
  return isOneOf(OFFLINE_REASONS, value);
}

/** The content hashes a report may name, with their length in hex digits. */
export const HASH_LENGTHS = { sha256: 64, sha1: 40, md5: 32 } as const;
export type HashName = keyof typeof HASH_LENGTHS;
/** The hash names in documentation order. */
export const HASH_NAMES = ['sha256', 'sha1', 'md5'] as const satisfies readonly HashName[];

/** Longest media-type essence kept (RFC 6838 allows 127 characters per part; we cap the whole). */
export const MAX_MEDIA_TYPE_LENGTH = 127;

/** RFC 9110 token characters, for type and subtype. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The essence of a Content-Type header value: `type/subtype`, lower-case, parameters
 * dropped. Null when absent or not of that shape. The prober compares essences for the
 * soft-removal rule, the store keeps the first online one (items.first_content_type), and
 * the bus codec accepts an expected content type only when it is already an essence.
 */
export function mediaTypeEssence(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const semicolon = value.indexOf(';');
  const essence = (semicolon >= 0 ? value.slice(0, semicolon) : value).trim().toLowerCase();
  if (essence.length === 0 || essence.length > MAX_MEDIA_TYPE_LENGTH) return null;
  const slash = essence.indexOf('/');
  if (slash <= 0 || slash !== essence.lastIndexOf('/')) return null;
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  return TOKEN.test(type) && TOKEN.test(subtype) ? essence : null;
}
