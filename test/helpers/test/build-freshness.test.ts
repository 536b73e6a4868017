/** The stale-build guard on a temporary workspace with hand-set file times. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertBuildIsFresh, findStaleOutputs } from '@tdm/test-helpers';

const T = new Date('2026-01-01T00:00:00Z').getTime() / 1000;

describe('the stale-build guard', () => {
  let root: string;

  /** Writes `file` under the root with its modification time `seconds` after T. */
  function put(file: string, seconds: number): void {
    const full = path.join(root, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, T + seconds, T + seconds);
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tdm-freshness-'));
    const workspaces = {
      'services/app': ['@x/a', '@x/docs'],
      'libs/a': [],
      'libs/docs': [],
      'libs/unused': [],
    };
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: Object.keys(workspaces) }));
    for (const [dir, dependencies] of Object.entries(workspaces)) {
      const manifest = {
        name: `@x/${path.basename(dir)}`,
        dependencies: Object.fromEntries([...dependencies, 'left-pad'].map((name) => [name, '1.0.0'])),
      };
      mkdirSync(path.join(root, dir), { recursive: true });
      writeFileSync(path.join(root, dir, 'package.json'), JSON.stringify(manifest));
    }
    put('services/app/src/main.ts', 0);
    put('services/app/dist/main.js', 10);
    put('libs/unused/src/index.ts', 50); // never built, but the app does not load it
    put('libs/a/src/index.ts', 0);
    put('libs/a/src/deep/part.ts', 0);
    put('libs/a/src/types.d.ts', 50); // hand-written declarations compile to nothing
    put('libs/a/dist/index.js', 10);
    put('libs/a/dist/deep/part.js', 10);
    put('libs/a/dist/.tsbuildinfo', 10);
    put('libs/docs/README.md', 50); // a workspace without src/ has nothing to build
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes when every output the entry loads is at least as new as its source', () => {
    expect(findStaleOutputs(root, 'services/app')).toEqual([]);
    expect(() => assertBuildIsFresh(root, 'services/app')).not.toThrow();
  });

  it('names a source changed after the last build, and fails with the command to run', () => {
    put('libs/a/src/deep/part.ts', 20);
    expect(findStaleOutputs(root, 'services/app')).toEqual([
      { source: 'libs/a/src/deep/part.ts', output: 'libs/a/dist/deep/part.js', why: 'older' },
    ]);
    expect(() => assertBuildIsFresh(root, 'services/app')).toThrow(
      /libs\/a\/dist\/deep\/part\.js is older than libs\/a\/src\/deep\/part\.ts[\s\S]*npx tsc --build/,
    );
  });

  it('names a source that was never compiled', () => {
    put('libs/a/src/new-module.ts', 5);
    expect(findStaleOutputs(root, 'services/app')).toEqual([
      { source: 'libs/a/src/new-module.ts', output: 'libs/a/dist/new-module.js', why: 'missing' },
    ]);
    expect(() => assertBuildIsFresh(root, 'services/app')).toThrow(
      /libs\/a\/dist\/new-module\.js is missing/,
    );
  });

  it('accepts an old output whose package was rebuilt after the source (tsc --build keeps unchanged outputs)', () => {
    put('libs/a/src/index.ts', 20);
    put('libs/a/dist/.tsbuildinfo', 30);
    expect(findStaleOutputs(root, 'services/app')).toEqual([]);
  });

  it('follows the dependencies: a package the entry loads counts, another one does not', () => {
    expect(findStaleOutputs(root, 'libs/unused')).toEqual([
      { source: 'libs/unused/src/index.ts', output: 'libs/unused/dist/index.js', why: 'missing' },
    ]);
    put('services/app/src/main.ts', 20);
    expect(findStaleOutputs(root, 'services/app').map((s) => s.source)).toEqual(['services/app/src/main.ts']);
  });

  it('counts every stale file and shows the first five', () => {
    for (let i = 0; i < 7; i++) put(`libs/a/src/m${i}.ts`, 5);
    expect(findStaleOutputs(root, 'services/app')).toHaveLength(7);
    expect(() => assertBuildIsFresh(root, 'services/app')).toThrow(/… and 2 more/);
  });
});
