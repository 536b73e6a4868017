/** One table, printed two ways: aligned text for the terminal, pipes for Markdown. */

export interface Table {
  title: string;
  head: string[];
  rows: string[][];
  /** Lines printed under the table. */
  notes?: string[];
}

export function textTable(table: Table): string {
  const widths = table.head.map((h, i) =>
    Math.max(h.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    table.title,
    line(table.head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.rows.map(line),
    ...(table.notes ?? []).map((note) => `  ${note}`),
  ].join('\n');
}

export function markdownTable(table: Table): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  return [
    `### ${table.title}`,
    '',
    `| ${table.head.map(escape).join(' | ')} |`,
    `| ${table.head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
    ...(table.notes && table.notes.length > 0 ? ['', ...table.notes.map((note) => `${note}  `)] : []),
  ].join('\n');
}

/** Number formatting for the tables. */
export const fmt = {
  n: (value: number, digits = 0): string =>
    Number.isFinite(value)
      ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
      : '–',
  mb: (bytes: number): string =>
    Number.isFinite(bytes) && bytes > 0 ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : '–',
  pct: (share: number): string => (Number.isFinite(share) ? `${(share * 100).toFixed(0)}%` : '–'),
  x: (ratio: number): string => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–'),
};
