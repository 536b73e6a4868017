/**
 * NDJSON bodies: one report per line. Each line is parsed on its own, so a broken line is
 * that report's error and the rest of the batch is still kept.
 */

/** A line that is not valid JSON; it takes its report's place in the batch. */
export class UnparseableLine {
  constructor(
    readonly line: number,
    readonly message: string,
  ) {}
}

/** A parsed NDJSON body, as the content-type parser hands it to the route. */
export class NdjsonBody {
  constructor(readonly entries: NdjsonEntry[]) {}
}

/** One NDJSON entry: the parsed value (anything JSON) or the parse failure, and its line. */
export interface NdjsonEntry {
  line: number;
  value: unknown;
}

/**
 * Splits an NDJSON text into entries. Blank lines (and a trailing newline) are skipped and
 * do not count as reports; `\r\n` line ends are accepted. Stops counting at `limit + 1`
 * entries so that an oversized batch is refused without parsing all of it.
 */
export function parseNdjson(text: string, limit: number): NdjsonEntry[] {
  const entries: NdjsonEntry[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= text.length && entries.length <= limit) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo += 1;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    try {
      entries.push({ line: lineNo, value: JSON.parse(raw) as unknown });
    } catch (error) {
      entries.push({ line: lineNo, value: new UnparseableLine(lineNo, (error as Error).message) });
    }
  }
  return entries;
}
