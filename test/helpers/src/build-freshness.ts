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

/** The workspace folder of the `tdm` binary. */
export const TDM_WORKSPACE = 'services/cli';

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

interface Manifest {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * The workspace folders `entry` runs: itself and, through the manifests' `dependencies`,
 * every workspace package it loads (so a stale test-helpers or bench build does not count).
 */
function workspacesRunBy(root: string, entry: string): string[] {
  const byName = new Map<string, string>();
  for (const workspace of readManifest(root).workspaces ?? []) {
    const name = readManifest(path.join(root, workspace)).name;
    if (name) byName.set(name, workspace);
  }
  const seen = new Set<string>();
  const visit = (workspace: string): void => {
    if (seen.has(workspace)) return;
    seen.add(workspace);
    for (const dependency of Object.keys(readManifest(path.join(root, workspace)).dependencies ?? {})) {
      const found = byName.get(dependency);
      if (found) visit(found);
    }
  };
  visit(entry);
  return [...seen];
}

/**
 * The sources of `entry` (a workspace folder, by default the CLI) and of the workspace
 * packages it loads, each compiled from `src/` to `dist/`, whose output is missing or
 * older. An output older than its source still counts as built when the package's
 * `dist/.tsbuildinfo` is newer: `tsc --build` rewrites only changed outputs, and for a
 * source touched without a change it stamps just that file.
 */
export function findStaleOutputs(root: string, entry = TDM_WORKSPACE): StaleOutput[] {
  const stale: StaleOutput[] = [];
  for (const workspace of workspacesRunBy(root, entry)) {
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
  return stale.sort((a, b) => a.source.localeCompare(b.source));
}

/** Throws, naming the stale files, unless the build of `entry` and what it loads is up to date. */
export function assertBuildIsFresh(root: string = REPO_ROOT, entry = TDM_WORKSPACE): void {
  const stale = findStaleOutputs(root, entry);
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
