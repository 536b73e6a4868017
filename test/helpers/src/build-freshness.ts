/**
 * The guard against testing a stale build: tests that run the built `tdm`
 * (services/cli/dist and the libraries' dist it imports) while the unit tests run the
 * sources would pass or fail on yesterday's code. Before spawning `tdm`, every compiled
 * output must exist and be at least as new as its source.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the same from test/helpers/src and test/helpers/dist). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface StaleOutput {
  /** The source file, relative to the root. */
  source: string;
  /** Its compiled counterpart, relative to the root. */
  output: string;
  why: 'missing' | 'older';
}

function mtimeMs(file: string): number | undefined {
  return existsSync(file) ? statSync(file).mtimeMs : undefined;
}

function sourcesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * The sources of the workspace packages under `root` (its package.json `workspaces`,
 * each compiled from `src/` to `dist/`) whose output is missing or older. An output older
 * than its source still counts as built when the package's `dist/.tsbuildinfo` is newer:
 * `tsc --build` rewrites only changed outputs, and for a source touched without a change
 * it stamps just that file.
 */
export function findStaleOutputs(root: string): StaleOutput[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    workspaces?: string[];
  };
  const stale: StaleOutput[] = [];
  for (const workspace of manifest.workspaces ?? []) {
    const srcDir = path.join(root, workspace, 'src');
    if (!existsSync(srcDir)) continue;
    const distDir = path.join(root, workspace, 'dist');
    const builtAt = mtimeMs(path.join(distDir, '.tsbuildinfo')) ?? 0;
    for (const source of sourcesBelow(srcDir)) {
      const output = path.join(distDir, path.relative(srcDir, source).replace(/\.ts$/, '.js'));
      const outputAt = mtimeMs(output);
      const sourceAt = statSync(source).mtimeMs;
      const why =
        outputAt === undefined ? 'missing' : outputAt < sourceAt && builtAt < sourceAt ? 'older' : null;
      if (why) stale.push({ source: path.relative(root, source), output: path.relative(root, output), why });
    }
  }
  return stale;
}

/** Throws, naming the stale files, unless every package's build is up to date. */
export function assertBuildIsFresh(root: string = REPO_ROOT): void {
  const stale = findStaleOutputs(root);
  if (stale.length === 0) return;
  const shown = stale
    .slice(0, 5)
    .map((s) => `  ${s.output} is ${s.why === 'missing' ? 'missing' : 'older than'} ${s.source}`)
    .join('\n');
  const more = stale.length > 5 ? `\n  … and ${stale.length - 5} more` : '';
  throw new Error(
    `the build is stale: this test runs the compiled tdm, not the sources.\n${shown}${more}\n` +
      'Run `npx tsc --build` (npm test builds first).',
  );
}
