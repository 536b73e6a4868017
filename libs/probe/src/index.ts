/**
 * @tdm/probe: checks one URL over HTTP(S) and says what it saw (ProbeResult), with the
 * network policy, DNS, redirects, limits and hashing described in README.md.
 */
export { createHttpProber, type HttpProber, type ProbeCallOptions } from './http-prober.js';
export { DEFAULT_MAX_HEADER_BYTES, type HttpProberOptions } from './options.js';
export { isDocumentType, isMediaType, isSoftRemoval } from './media-type.js';
/** Re-exported from @tdm/core (its one definition), where probe users have always found it. */
export { mediaTypeEssence } from '@tdm/core';
export {
  classifyBody,
  classifyError,
  classifyRedirect,
  classifyStatus,
  type BodyObservation,
  type Classification,
  type ErrorClassification,
  type ErrorContext,
  type RedirectObservation,
} from './classify.js';
export { loadHosterDirectory, parseHosterTable, type HosterDirectory } from './hoster-directory.js';
export {
  createNetworkPolicy,
  BLOCKED_IPV4,
  BLOCKED_IPV6_IN_GLOBAL,
  GLOBAL_UNICAST_IPV6,
  IPV4_EMBEDDING_IPV6,
  type NetworkPolicy,
} from './network-policy.js';
export {
  DEFAULT_PLACEHOLDER_URL_PATTERNS,
  createPlaceholderRules,
  type PlaceholderRules,
} from './placeholder.js';
export {
  BlockedAddressError,
  CheckAbortedError,
  CheckTimeoutError,
  DnsLookupError,
  type DnsFailureKind,
} from './errors.js';
export {
  createBrowserProber,
  type BrowserProber,
  type BrowserProberStats,
} from './browser/browser-prober.js';
export { DEFAULT_BROWSER_PAGES, type BrowserProberOptions } from './browser/options.js';
export { classifyNetError } from './browser/net-errors.js';
