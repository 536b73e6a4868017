/**
 * Splits the results of one pull into handler calls of at most `maxResults` results. A
 * pulled message carries a whole batch of results, so the consumer's pull size (messages)
 * no longer bounds a handler call (one store transaction); this does. Messages stay whole
 * in a chunk when they fit; one larger than `maxResults` is spread over consecutive chunks.
 * Each chunk names the messages whose last result it holds: those may be acked once it was
 * handled.
 */
import type { CheckResult } from '@tdm/core';

export interface PulledResults<M> {
  msg: M;
  results: readonly CheckResult[];
}

export interface ResultChunk<M> {
  results: CheckResult[];
  /** Messages complete after this chunk (all their results handled in it or before). */
  completes: M[];
}

export function chunkResults<M>(
  pulled: ReadonlyArray<PulledResults<M>>,
  maxResults: number,
): Array<ResultChunk<M>> {
  if (!Number.isInteger(maxResults) || maxResults < 1)
    throw new RangeError('maxResults must be a positive integer');
  const chunks: Array<ResultChunk<M>> = [];
  let current: ResultChunk<M> = { results: [], completes: [] };
  const close = (): void => {
    chunks.push(current);
    current = { results: [], completes: [] };
  };
  for (const { msg, results } of pulled) {
    if (current.results.length > 0 && current.results.length + results.length > maxResults) close();
    for (const result of results) {
      if (current.results.length === maxResults) close();
      current.results.push(result);
    }
    current.completes.push(msg);
  }
  if (current.results.length > 0 || current.completes.length > 0) chunks.push(current);
  return chunks;
}
