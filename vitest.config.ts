import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

// Tests import sibling packages by name; point those names at the TypeScript sources
// so the suite runs against the code as written, not a stale dist/.
const alias: Record<string, string> = {};
for (const group of ['libs', 'services', 'test']) {
  for (const dir of readdirSync(path.join(root, group))) {
    const pkgFile = path.join(root, group, dir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const { name } = (await import(pkgFile, { with: { type: 'json' } })).default as { name: string };
    alias[name] = path.join(root, group, dir, 'src', 'index.ts');
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
