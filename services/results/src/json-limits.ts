/**
 * JSON depth and string-length limits, checked on the text before it is parsed: one
 * linear pass that does not recurse, so 10,000 nested brackets cost a loop, not a stack.
 * For a top-level array (a batch) the pass says which elements break a limit, so that
 * only those reports are rejected and the rest of the batch is kept.
 */

export interface JsonLimits {
  /** Brackets nested at most, the outermost counted (a batch → report → labels is 3). */
  maxDepth: number;
  /** Characters in one string (key or value) at most, as written (escapes count as written). */
  maxStringLength: number;
}

export interface JsonScan {
  /** A limit broken outside any element of a top-level array (or the text is no array). */
  whole: string | null;
  /** Elements of a top-level array that break a limit: index → [start, end) and why. */
  elements: Map<number, { start: number; end: number; message: string }>;
}

const OPEN = new Set(['[', '{']);
const CLOSE = new Set([']', '}']);

/** Scans JSON text for limit breaches; it does not validate the JSON (JSON.parse does). */
export function scanJson(text: string, limits: JsonLimits): JsonScan {
  const elements: JsonScan['elements'] = new Map();
  let whole: string | null = null;
  let start = 0;
  while (start < text.length && /\s/.test(text[start] as string)) start += 1;
  const rootIsArray = text[start] === '[';
  let depth = 0;
  let index = 0;
  let elementStart = start + 1;
  let inString = false;
  let stringStart = 0;
  // Inside the root array (depth ≥ 1 there) a breach belongs to the current element.
  const breach = (message: string): void => {
    if (rootIsArray && depth >= 1) {
      if (!elements.has(index)) elements.set(index, { start: elementStart, end: -1, message });
    } else whole ??= message;
  };
  for (let i = start; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') {
        inString = false;
        if (i - stringStart - 1 > limits.maxStringLength)
          breach(
            `a string of ${i - stringStart - 1} characters, more than the limit of ${limits.maxStringLength}`,
          );
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
      stringStart = i;
    } else if (OPEN.has(ch)) {
      depth += 1;
      if (depth > limits.maxDepth) breach(`nested deeper than the limit of ${limits.maxDepth}`);
    } else if (CLOSE.has(ch)) {
      depth -= 1;
      if (rootIsArray && depth === 0) closeElement(i);
    } else if (ch === ',' && rootIsArray && depth === 1) {
      closeElement(i);
      index += 1;
      elementStart = i + 1;
    }
  }
  if (inString) {
    const length = text.length - stringStart - 1;
    if (length > limits.maxStringLength)
      breach(`a string of ${length} characters, more than the limit of ${limits.maxStringLength}`);
  }
  for (const element of elements.values()) if (element.end === -1) element.end = text.length;
  return { whole, elements };

  function closeElement(at: number): void {
    const element = elements.get(index);
    if (element && element.end === -1) element.end = at;
  }
}

/** The text with the given elements replaced by `null` (so that the rest parses on its own). */
export function withoutElements(text: string, scan: JsonScan): string {
  if (scan.elements.size === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const element of [...scan.elements.values()].sort((a, b) => a.start - b.start)) {
    parts.push(text.slice(at, element.start), 'null');
    at = element.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
