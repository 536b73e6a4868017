/** Plain-text tables for the terminal: columns padded to their widest cell. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return (
    [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n') + '\n'
  );
}

/** 2026-11-22T07:15:28.123Z → 07:15:28.123 (the demo runs within one minute). */
export function clock(iso: string | null): string {
  return iso === null ? '—' : iso.slice(11, 23);
}
