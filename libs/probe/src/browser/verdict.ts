/**
 * A page check's verdict from what was observed, with the HTTP prober's rules and words:
 * the redirect chain through classifyRedirect, the main document's status through
 * classifyStatus, failures through classifyError (the proxy's own errors) or
 * classifyNetError (what only Chromium saw), and the hashed bodies against the report.
 * Pure: no browser here, so every rule is testable on its own.
 */
import type { ExpectedHashes, RedirectHop } from '@tdm/core';
import { classifyError, classifyRedirect, classifyStatus, type Classification } from '../classify.js';
import type { PlaceholderRules } from '../placeholder.js';
import { classifyNetError } from './net-errors.js';
import { matchesExpected, type HashedBody } from './page-observer.js';

export interface DocumentObservation {
  url: string;
  status: number;
  contentType: string | null;
  ip: string | null;
  /** Set when the egress proxy answered instead of the target: the proxy's error. */
  proxyFailure?: unknown;
}

export interface PageObservation {
  /** Redirect responses before the document (or before the failure), in order. */
  hops: RedirectHop[];
  /** The main document's response, or null when the navigation got none. */
  document: DocumentObservation | null;
  /** When there is no document: the URL that failed, Chromium's error, and what the proxy saw. */
  failure: { url: string; netError: string | null; proxyFailure: unknown } | null;
  bodies: readonly HashedBody[];
  /** Media that could not be hashed (limits, partial responses). */
  unverified: number;
  /** Requests of this page that the network policy refused. */
  refusedByPolicy: number;
}

export interface PageVerdict extends Classification {
  /** The body whose hashes the result reports, if any. */
  body: HashedBody | null;
  /** Short, content-free note. */
  note: string | null;
}

export interface VerdictRules {
  expected: ExpectedHashes;
  maxRedirects: number;
  placeholders: PlaceholderRules;
}

const hasExpected = (expected: ExpectedHashes): boolean =>
  [expected.sha256, expected.sha1, expected.md5].some((hash) => hash !== undefined && hash !== '');

function failureVerdict(proxyFailure: unknown, netError: string | null): PageVerdict {
  if (proxyFailure !== undefined) {
    const verdict = classifyError(proxyFailure, { phase: 'http' });
    return { outcome: verdict.outcome, reason: verdict.reason, body: null, note: verdict.message };
  }
  if (netError !== null) return { ...classifyNetError(netError), body: null, note: netError };
  return { outcome: 'error', reason: 'internal', body: null, note: 'navigation ended without a response' };
}

/** The redirect chain, judged hop by hop like the HTTP prober does; null when every hop is followed. */
function chainVerdict(hops: readonly RedirectHop[], endUrl: string, rules: VerdictRules): PageVerdict | null {
  for (let index = 0; index < hops.length; index++) {
    let target: URL | null = null;
    try {
      target = new URL(hops[index + 1]?.url ?? endUrl);
    } catch {
      target = null;
    }
    const verdict = classifyRedirect({
      target,
      followed: index,
      maxRedirects: rules.maxRedirects,
      isPlaceholderUrl: rules.placeholders.isPlaceholderUrl,
    });
    if (verdict !== 'follow') {
      const note =
        verdict.reason === 'too_many_redirects' ? `more than ${rules.maxRedirects} redirects` : null;
      return { ...verdict, body: null, note };
    }
  }
  return null;
}

function describe(observation: PageObservation): string {
  const media = observation.bodies.filter((body) => body.kind === 'media');
  const parts = [
    `browser: ${media.length} media hashed (${media.reduce((sum, body) => sum + body.bytes, 0)} bytes)`,
  ];
  if (observation.unverified > 0)
    parts.push(`${observation.unverified} not hashed (limits, partial or unreadable)`);
  if (observation.refusedByPolicy > 0)
    parts.push(`${observation.refusedByPolicy} requests refused by the network policy`);
  return parts.join(', ');
}

/** Judges one page check. */
export function judgePage(observation: PageObservation, rules: VerdictRules): PageVerdict {
  const { document } = observation;
  const endUrl = document?.url ?? observation.failure?.url ?? '';
  const chain = chainVerdict(observation.hops, endUrl, rules);
  if (chain) return chain;
  if (!document)
    return failureVerdict(observation.failure?.proxyFailure, observation.failure?.netError ?? null);
  if (document.proxyFailure !== undefined) return failureVerdict(document.proxyFailure, null);

  const status = classifyStatus(document.status);
  if (status.outcome !== 'online') return { ...status, body: null, note: null };

  const note = describe(observation);
  const { expected, placeholders } = rules;
  const documentBody = observation.bodies.find((body) => body.kind === 'document') ?? null;
  if (hasExpected(expected)) {
    const match = observation.bodies.find((body) => matchesExpected(body, expected));
    if (match) return { outcome: 'online', reason: null, body: match, note };
  }
  const placeholder = observation.bodies.find((body) => placeholders.isPlaceholderHash(body.sha256));
  if (placeholder) return { outcome: 'offline', reason: 'placeholder', body: placeholder, note };
  if (!hasExpected(expected)) return { outcome: 'online', reason: null, body: documentBody, note };

  // Expected content not seen. If the policy refused some of the page's requests, the
  // content may be behind them: we cannot tell, and that is our side's limit.
  if (observation.refusedByPolicy > 0) return { outcome: 'error', reason: 'blocked', body: null, note };
  // Like a cut body in the HTTP prober: what was not hashed cannot be compared, so no
  // `content_changed` that might be false.
  if (observation.unverified > 0)
    return {
      outcome: 'online',
      reason: null,
      body: documentBody,
      note: `${note}; expected hash not verified`,
    };
  const shown = observation.bodies.find((body) => body.kind === 'media') ?? documentBody;
  return { outcome: 'offline', reason: 'content_changed', body: shown, note };
}
