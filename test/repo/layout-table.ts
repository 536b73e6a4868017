/**
 * Reads the README's "Layout and dependency arrows" block: one row per directory, a row
 * going on over indented lines, and `→ a, b` naming the packages it depends on by the last
 * part of their directory (`→ everything above` names every row above it).
 */

export const LAYOUT_HEADING = '## Layout and dependency arrows';

export interface LayoutRow {
  /** The directory the row describes, e.g. `libs/core`. */
  readonly dir: string;
  /** Last parts of the directories the arrow points to, e.g. `core`; empty without an arrow. */
  readonly targets: readonly string[];
}

const EVERYTHING_ABOVE = 'everything above';

/** The code block that follows the heading, line by line. */
function layoutBlock(markdown: string): string[] {
  const lines = markdown.split('\n');
  const heading = lines.indexOf(LAYOUT_HEADING);
  if (heading < 0) throw new Error(`no "${LAYOUT_HEADING}" heading`);
  const open = lines.findIndex((line, i) => i > heading && line.startsWith('```'));
  const close = lines.findIndex((line, i) => i > open && line.startsWith('```'));
  if (open < 0 || close < 0) throw new Error(`no code block under "${LAYOUT_HEADING}"`);
  return lines.slice(open + 1, close);
}

export function parseLayoutTable(markdown: string): LayoutRow[] {
  const rows: { dir: string; text: string }[] = [];
  for (const line of layoutBlock(markdown)) {
    if (line.trim() === '') continue;
    const last = rows.at(-1);
    if (/^\s/.test(line)) {
      if (last === undefined) throw new Error(`continuation line before the first row: ${line}`);
      last.text += ` ${line.trim()}`;
    } else {
      const [dir = '', ...rest] = line.split(/\s+/);
      rows.push({ dir, text: rest.join(' ') });
    }
  }
  return rows.map(({ dir, text }, index) => {
    const arrows = text.split('→');
    if (arrows.length > 2) throw new Error(`${dir}: more than one arrow`);
    const arrow = arrows[1]?.trim();
    if (arrow === undefined) return { dir, targets: [] };
    if (arrow === EVERYTHING_ABOVE) {
      return { dir, targets: rows.slice(0, index).map((row) => lastPart(row.dir)) };
    }
    return { dir, targets: arrow.split(',').map((target) => target.trim()) };
  });
}

export const lastPart = (dir: string): string => dir.split('/').at(-1) ?? dir;
