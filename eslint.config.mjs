import { readFileSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const readManifest = (dir) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, dir, 'package.json'), 'utf8'));
const root = readManifest('.');
const workspaceNames = new Set(root.workspaces.map((dir) => readManifest(dir).name));
// The root's own tools (vitest, fast-check, …) serve every package's tests; a workspace
// package a test imports must still be in that package's devDependencies.
const sharedTestTools = Object.keys(root.devDependencies).filter((name) => !workspaceNames.has(name));

const sources = [
  'libs/*/src/**/*.ts',
  'services/*/src/**/*.ts',
  'test/helpers/src/**/*.ts',
  'bench/src/**/*.ts',
];

// Type-aware rules run on the packages' sources (each belongs to a tsconfig project);
// tests and configs get the syntactic rules only, so that linting stays fast.
export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    // Workspace packages resolve through node_modules to their built .d.ts: `tsc --build`
    // runs before ESLint in `npm test`. An import that does not resolve is not checked.
    settings: {
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/external-module-folders':
        importX.flatConfigs.typescript.settings['import-x/external-module-folders'],
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: ['@tdm/*/src/*', '@tdm/*/dist/*'] }],
      // Tests and configs: the nearest package.json's dependencies and devDependencies.
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: true, includeTypes: true, whitelist: sharedTestTools },
      ],
    },
  },
  {
    files: sources,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // What `src` imports is a runtime dependency (type-only imports too: the emitted
      // .d.ts imports them). Crawlee is only the benchmark's contender, a devDependency so
      // that `npm prune --omit=dev` keeps it out of the image.
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: ['**/bench/src/crawlee-child.ts'], includeTypes: true },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // What the services and libraries throw can end up in front of an operator (on
    // stderr, in a log line, in a check's note): it carries a code. fixture-web is left
    // out: a web for tests and the demo, whose errors are its callers' programming slips.
    files: ['libs/*/src/**/*.ts', 'services/*/src/**/*.ts'],
    ignores: ['libs/fixture-web/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > :matches(NewExpression, CallExpression)[callee.name='Error']",
          message:
            'Throw a typed error (ConfigError for a setting, or a TdmError subclass with a code), not a plain Error.',
        },
      ],
    },
  },
);
