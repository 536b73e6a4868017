/**
 * A small YAML reader for the subset our deployment files are written in, so that the
 * deploy tests can check structure without a YAML dependency. Supported: `---`
 * documents, block mappings and sequences (including `- key: value` items), plain,
 * single- and double-quoted scalars, empty `{}` / `[]`, flow sequences of scalars, and
 * `|` / `>` block scalars. Anything else (anchors, aliases, tags, flow mappings with
 * content, multi-line plain scalars) throws, so the manifests stay inside the subset
 * and a check never passes because the reader misread a file.
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlMap = { [key: string]: YamlValue };

export class YamlSubsetError extends Error {
  constructor(message: string, line: number) {
    super(`line ${line + 1}: ${message}`);
    this.name = 'YamlSubsetError';
  }
}

interface Line {
  /** Index in the source, for messages. */
  no: number;
  indent: number;
  /** Text after the indentation, comments removed (block scalars keep `raw`). */
  text: string;
  raw: string;
}

const KEY =
  /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/;

/** Removes a `#` comment that is not inside quotes. */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      if (i === 0 || /[\s:[,-]/.test(text[i - 1] ?? '')) quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function unquote(text: string, no: number): string {
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new YamlSubsetError(`bad double-quoted scalar ${text}`, no);
    return JSON.parse(text) as string;
  }
  if (!/^'(?:[^']|'')*'$/.test(text)) throw new YamlSubsetError(`bad single-quoted scalar ${text}`, no);
  return text.slice(1, -1).replace(/''/g, "'");
}

function scalar(text: string, no: number): YamlValue {
  const t = text.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t.startsWith('"') || t.startsWith("'")) return unquote(t, no);
  if (t === '{}') return {};
  if (t === '[]') return [];
  if (t.startsWith('[')) {
    if (!t.endsWith(']') || /[[\]{}]/.test(t.slice(1, -1)))
      throw new YamlSubsetError(`unsupported flow sequence ${t}`, no);
    return t
      .slice(1, -1)
      .split(',')
      .map((part) => scalar(part, no));
  }
  if (/^[{&*!|>%@`]/.test(t)) throw new YamlSubsetError(`unsupported YAML construct "${t}"`, no);
  // A real YAML parser rejects these in a plain scalar; so do we, so the test agrees with kubectl.
  if (/:\s|:$/.test(t)) throw new YamlSubsetError(`plain scalar with ": " (quote it): ${t}`, no);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?\d+(?:\.\d+)?$/.test(t)) return Number(t);
  return t;
}

class Reader {
  #lines: Line[];
  #pos = 0;

  constructor(lines: Line[]) {
    this.#lines = lines;
  }

  #peek(): Line | undefined {
    return this.#lines[this.#pos];
  }

  parseDocument(): YamlValue {
    const first = this.#peek();
    if (!first) return null;
    const value = this.#block(first.indent);
    const rest = this.#peek();
    if (rest) throw new YamlSubsetError(`unexpected indentation`, rest.no);
    return value;
  }

  #block(indent: number): YamlValue {
    const line = this.#peek();
    if (!line || line.indent !== indent) throw new YamlSubsetError('expected a block', line?.no ?? 0);
    if (line.text === '-' || line.text.startsWith('- ')) return this.#sequence(indent);
    if (KEY.test(line.text)) return this.#mapping(indent);
    this.#pos++;
    return scalar(line.text, line.no);
  }

  #sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.#peek(); line && line.indent === indent; line = this.#peek()) {
      if (!(line.text === '-' || line.text.startsWith('- '))) break;
      const content = line.text === '-' ? '' : line.text.slice(2);
      const offset = line.text.length - line.text.slice(1).trimStart().length;
      if (content.trim() === '') {
        this.#pos++;
        const next = this.#peek();
        items.push(next && next.indent > indent ? this.#block(next.indent) : null);
      } else if (KEY.test(content.trimStart()) || content.trimStart().startsWith('- ')) {
        // "- key: value": the item is a block that starts on this line, further right.
        const column = indent + offset;
        this.#lines[this.#pos] = { ...line, indent: column, text: content.trimStart() };
        items.push(this.#block(column));
      } else {
        this.#pos++;
        items.push(scalar(content, line.no));
      }
    }
    return items;
  }

  #mapping(indent: number): YamlMap {
    const map: YamlMap = {};
    for (let line = this.#peek(); line && line.indent === indent; line = this.#peek()) {
      const match = KEY.exec(line.text);
      if (!match) {
        if (line.text.startsWith('- ')) break;
        throw new YamlSubsetError(`expected "key: value", got "${line.text}"`, line.no);
      }
      const rawKey = match[1] ?? '';
      const key = rawKey.startsWith('"') || rawKey.startsWith("'") ? unquote(rawKey, line.no) : rawKey;
      if (key in map) throw new YamlSubsetError(`duplicate key "${key}"`, line.no);
      const rest = (match[2] ?? '').trim();
      this.#pos++;
      if (/^[|>][-+]?$/.test(rest)) {
        map[key] = this.#blockScalar(indent, rest);
      } else if (rest === '') {
        const next = this.#peek();
        if (next && next.indent > indent) map[key] = this.#block(next.indent);
        else if (next && next.indent === indent && (next.text === '-' || next.text.startsWith('- ')))
          map[key] = this.#sequence(indent);
        else map[key] = null;
      } else {
        map[key] = scalar(rest, line.no);
        const next = this.#peek();
        if (next && next.indent > indent)
          throw new YamlSubsetError('unexpected indentation (multi-line plain scalar?)', next.no);
      }
    }
    return map;
  }

  #blockScalar(indent: number, style: string): string {
    const body: string[] = [];
    let contentIndent = -1;
    for (let line = this.#peek(); line && (line.indent > indent || line.text === ''); line = this.#peek()) {
      if (contentIndent < 0 && line.text !== '') contentIndent = line.indent;
      body.push(line.raw.slice(Math.max(contentIndent, 0)));
      this.#pos++;
    }
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    const text = style.startsWith('>') ? body.join(' ') : body.join('\n');
    return style.endsWith('-') ? text : text + '\n';
  }
}

/** Parses every `---`-separated document of a file written in the supported subset. */
export function parseYamlDocuments(source: string): YamlValue[] {
  const documents: Line[][] = [[]];
  const rawLines = source.split(/\r?\n/);
  let inBlockScalar: number | null = null;
  rawLines.forEach((raw, no) => {
    if (/^---\s*$/.test(raw)) {
      documents.push([]);
      inBlockScalar = null;
      return;
    }
    if (/^\.\.\.\s*$/.test(raw) || /^%/.test(raw))
      throw new YamlSubsetError('directives and document ends are not supported', no);
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new YamlSubsetError('tab indentation', no);
    const indent = raw.length - raw.trimStart().length;
    const current = documents[documents.length - 1] as Line[];
    if (inBlockScalar !== null) {
      if (raw.trim() === '' || indent > inBlockScalar) {
        current.push({ no, indent, text: raw.trim() === '' ? '' : raw.trim(), raw });
        return;
      }
      inBlockScalar = null;
    }
    const text = stripComment(raw.trimStart());
    if (text === '') return;
    if (/:\s*[|>][-+]?$/.test(text)) inBlockScalar = indent;
    current.push({ no, indent, text, raw });
  });
  return documents.filter((lines) => lines.length > 0).map((lines) => new Reader(lines).parseDocument());
}

/** Narrows a value to a mapping (or fails with the path that was expected to be one). */
export function asMap(value: YamlValue | undefined, what: string): YamlMap {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Narrows a value to a sequence; a missing value is an empty one. */
export function asList(value: YamlValue | undefined, what: string): YamlValue[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value))
    throw new TypeError(`${what}: expected a sequence, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Follows a path through mappings (dotted, or an array of keys when a key holds dots,
 * as label and annotation names do); undefined when a step is missing.
 */
export function dig(value: YamlValue | undefined, path: string | string[]): YamlValue | undefined {
  let current: YamlValue | undefined = value;
  for (const step of Array.isArray(path) ? path : path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object' || Array.isArray(current))
      return undefined;
    current = current[step];
  }
  return current;
}
