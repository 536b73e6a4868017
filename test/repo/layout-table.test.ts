/**
 * The README's layout table draws each package's workspace dependencies: it is a copy of
 * the package.json files, so it is checked against them here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYOUT_HEADING, lastPart, parseLayoutTable } from './layout-table.js';
import { readWorkspaces, repoRoot, sorted } from './workspaces.js';

const rows = parseLayoutTable(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
const workspaces = readWorkspaces();

describe('README layout table', () => {
  it.each(workspaces.map((w) => [w.dir, w] as const))(
    'the arrow of %s lists exactly its workspace dependencies',
    (dir, workspace) => {
      const row = rows.find((r) => r.dir === dir);
      expect(row, `no row for ${dir}`).toBeDefined();
      expect(sorted(row?.targets ?? [])).toEqual(sorted(workspace.dependencies.map(lastPart)));
    },
  );

  it('rows that are not workspaces name existing directories and draw no arrow', () => {
    const workspaceDirs = new Set(workspaces.map((w) => w.dir));
    const others = rows.filter((r) => !workspaceDirs.has(r.dir));
    expect(others.length).toBeGreaterThan(0);
    for (const row of others) {
      expect(existsSync(path.join(repoRoot, row.dir)), `${row.dir} exists`).toBe(true);
      expect({ [row.dir]: row.targets }).toEqual({ [row.dir]: [] });
    }
  });
});

describe('parseLayoutTable', () => {
  const table = (body: string): string => `# x\n\n${LAYOUT_HEADING}\n\n\`\`\`\n${body}\n\`\`\`\n\nafter\n`;

  it('reads arrows, continuation lines and "everything above"', () => {
    const parsed = parseLayoutTable(
      table(
        [
          'libs/core      types            (no I/O)',
          'libs/store     queries;',
          '               two backends     → core',
          'services/x     one service      → core, store',
          'services/cli   wires them       → everything above',
        ].join('\n'),
      ),
    );
    expect(parsed).toEqual([
      { dir: 'libs/core', targets: [] },
      { dir: 'libs/store', targets: ['core'] },
      { dir: 'services/x', targets: ['core', 'store'] },
      { dir: 'services/cli', targets: ['core', 'store', 'x'] },
    ]);
  });

  it('fails on a README without the table', () => {
    expect(() => parseLayoutTable('# README\n')).toThrow(LAYOUT_HEADING);
  });
});
