/**
 * The npm workspaces as their manifests declare them: package.json dependencies and the
 * tsconfig project references, read with TypeScript's own config reader (comments allowed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Workspace {
  /** Directory relative to the repository root, e.g. `libs/core`. */
  readonly dir: string;
  readonly name: string;
  /** Workspace directories named in `dependencies` (what `src` imports). */
  readonly dependencies: readonly string[];
  /** Workspace directories named in `devDependencies` (what only the tests import). */
  readonly devDependencies: readonly string[];
  /** Directories of the tsconfig.json `references`, relative to the repository root. */
  readonly references: readonly string[];
}

interface PackageJson {
  readonly name: string;
  readonly workspaces?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The `references` of `<dir>/tsconfig.json`, as directories relative to the repository root. */
export function tsconfigReferences(dir: string): string[] {
  const file = path.join(repoRoot, dir, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile) as {
    config?: { references?: { path: string }[] };
    error?: ts.Diagnostic;
  };
  if (error !== undefined || config === undefined) {
    throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error?.messageText ?? 'unreadable', '\n')}`);
  }
  return (config.references ?? []).map((ref) =>
    path.relative(repoRoot, path.resolve(repoRoot, dir, ref.path)),
  );
}

/** The root package.json's workspaces, in its order. */
export function readWorkspaces(): Workspace[] {
  const dirs = readPackageJson('.').workspaces ?? [];
  const manifests = dirs.map((dir) => ({ dir, manifest: readPackageJson(dir) }));
  const dirOf = new Map(manifests.map(({ dir, manifest }) => [manifest.name, dir]));
  const workspaceDirs = (deps: Readonly<Record<string, string>> | undefined): string[] =>
    Object.keys(deps ?? {}).flatMap((name) => dirOf.get(name) ?? []);
  return manifests.map(({ dir, manifest }) => ({
    dir,
    name: manifest.name,
    dependencies: workspaceDirs(manifest.dependencies),
    devDependencies: workspaceDirs(manifest.devDependencies),
    references: tsconfigReferences(dir),
  }));
}

export const sorted = (values: Iterable<string>): string[] => [...values].sort();
