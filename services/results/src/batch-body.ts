/**
 * A POST /v1/reports body as the route sees it: one entry per report, each the parsed
 * value or the reason it could not be used (a broken NDJSON line, a report beyond the JSON
 * limits). A bad entry is that report's error; the rest of the batch is kept.
 */
import { ApiError } from './errors.js';
import { scanJson, withoutElements, type JsonLimits } from './json-limits.js';

/** An entry that is no report: it takes its report's place in the answer. */
export class RejectedEntry {
  constructor(
    readonly code: 'TDM_ERR_NDJSON_LINE' | 'TDM_ERR_JSON_LIMIT',
    readonly message: string,
  ) {}
}

export interface BatchEntry {
  /** The parsed value, or why there is none. */
  value: unknown;
  /** NDJSON: the 1-based line number. */
  line?: number;
}

/** A parsed batch, as the content-type parsers hand it to the route. */
export class BatchBody {
  constructor(readonly entries: BatchEntry[]) {}
}

/**
 * Parses a JSON body under the limits. A top-level array becomes a BatchBody whose
 * elements beyond the limits are RejectedEntry; any other value is returned as parsed
 * (by `parse`, Fastify's own JSON parser with prototype-poisoning checks) when it keeps
 * the limits, else the request fails with TDM_ERR_JSON_LIMIT.
 */
export function parseJsonBody(text: string, limits: JsonLimits, parse: (text: string) => unknown): unknown {
  const scan = scanJson(text, limits);
  if (scan.whole !== null) throw new ApiError('TDM_ERR_JSON_LIMIT', `the JSON body is ${scan.whole}`);
  if (!/^\s*\[/.test(text)) return parse(text);
  let values: unknown;
  try {
    // Plain JSON.parse: a `__proto__` key becomes an own property, which validateReport
    // refuses as an unknown field (and labels copy with Object.fromEntries), so it is that
    // report's error instead of the batch's.
    values = JSON.parse(withoutElements(text, scan)) as unknown;
  } catch (error) {
    throw new ApiError('TDM_ERR_BODY_INVALID', `the body is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!Array.isArray(values)) return values;
  return new BatchBody(
    values.map((value: unknown, index) => {
      const breach = scan.elements.get(index);
      return { value: breach ? new RejectedEntry('TDM_ERR_JSON_LIMIT', `report ${breach.message}`) : value };
    }),
  );
}
