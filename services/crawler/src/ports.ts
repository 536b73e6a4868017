/**
 * What the crawler needs from the prober and the politeness limiter, typed by shape so the
 * crawler depends on behaviour, not on the packages that provide it (@tdm/probe's
 * createHttpProber and @tdm/politeness's createPoliteness fit these).
 */
import type { ExpectedHashes, ProbeResult } from '@tdm/core';

export interface Prober {
  /**
   * Checks one URL. Aborting `signal` ends the check at once; the crawler then discards
   * whatever it returns (an aborted check says nothing about the target).
   */
  probe(url: string, expected: ExpectedHashes, options: { signal: AbortSignal }): Promise<ProbeResult>;
}

export interface Politeness {
  /** Runs `task` when the registrable domain's rate and concurrency limits allow it. */
  schedule<T>(registrableDomain: string, task: () => Promise<T>): Promise<T>;
}
