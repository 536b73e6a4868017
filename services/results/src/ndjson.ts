/**
 * NDJSON bodies, read as a stream: one report per line, each parsed on its own (a broken
 * line is that report's error), with the body limit counted as the bytes arrive and the
 * batch limit checked per line, so an oversized body is refused without holding it whole.
 */
import { StringDecoder } from 'node:string_decoder';
import { BatchBody, RejectedEntry, type BatchEntry } from './batch-body.js';
import { ApiError } from './errors.js';
import { scanJson, type JsonLimits } from './json-limits.js';

export interface NdjsonOptions {
  bodyLimit: number;
  /** Reports per request at most; one more ends the read with TDM_ERR_BATCH_TOO_LARGE. */
  maxEntries: number;
  limits: JsonLimits;
}

/** One line → its entry. Blank lines are no entry. */
function parseLine(raw: string, line: number, limits: JsonLimits): BatchEntry | null {
  const text = raw.trim();
  if (text === '') return null;
  const scan = scanJson(text, limits);
  if (scan.whole !== null)
    return { line, value: new RejectedEntry('TDM_ERR_JSON_LIMIT', `line ${line}: ${scan.whole}`) };
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      line,
      value: new RejectedEntry('TDM_ERR_NDJSON_LINE', `line ${line}: ${(error as Error).message}`),
    };
  }
}

function tooLarge(bodyLimit: number): ApiError {
  return new ApiError('TDM_ERR_BODY_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
}

/** Reads an NDJSON body. `\r\n` line ends are accepted; blank lines do not count. */
export async function readNdjson(
  body: AsyncIterable<Buffer | string>,
  options: NdjsonOptions,
): Promise<BatchBody> {
  const entries: BatchEntry[] = [];
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let pending = '';
  let line = 0;
  const take = (raw: string): void => {
    line += 1;
    const entry = parseLine(raw, line, options.limits);
    if (entry === null) return;
    entries.push(entry);
    if (entries.length > options.maxEntries) {
      throw new ApiError(
        'TDM_ERR_BATCH_TOO_LARGE',
        `a batch holds at most ${options.maxEntries} reports; split it into several requests`,
      );
    }
  };
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    if (bytes > options.bodyLimit) throw tooLarge(options.bodyLimit);
    // Newlines are looked for in the new text only, and a line is copied once: a long
    // line costs its length, not its length times the chunks it came in.
    const text = decoder.write(buffer);
    let newline = text.indexOf('\n');
    if (newline === -1) {
      pending += text;
      continue;
    }
    take(pending + text.slice(0, newline));
    let start = newline + 1;
    newline = text.indexOf('\n', start);
    while (newline !== -1) {
      take(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    pending = text.slice(start);
  }
  pending += decoder.end();
  take(pending);
  return new BatchBody(entries);
}
