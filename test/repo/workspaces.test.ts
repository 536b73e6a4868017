/**
 * The tsconfig project references are a second copy of each package's workspace
 * dependencies (tsc builds in their order); knip and ESLint check the package.json files
 * against the imports, and this test checks the references against the package.json files.
 */
import { describe, expect, it } from 'vitest';
import { readWorkspaces, sorted, tsconfigReferences } from './workspaces.js';

const workspaces = readWorkspaces();

describe('tsconfig references', () => {
  it.each(workspaces.map((w) => [w.dir, w] as const))(
    '%s references exactly the workspaces in its dependencies',
    (_dir, workspace) => {
      expect(sorted(workspace.references)).toEqual(sorted(workspace.dependencies));
    },
  );

  it('the root tsconfig references every workspace', () => {
    expect(sorted(tsconfigReferences('.'))).toEqual(sorted(workspaces.map((w) => w.dir)));
  });
});

describe('dependency direction', () => {
  const isService = (dir: string): boolean => dir.startsWith('services/');

  it('libraries depend on no service', () => {
    for (const w of workspaces.filter((w) => w.dir.startsWith('libs/'))) {
      expect({ [w.dir]: w.dependencies.filter(isService) }).toEqual({ [w.dir]: [] });
    }
  });

  it('services depend on no other service, except cli, which wires them', () => {
    for (const w of workspaces.filter((w) => isService(w.dir) && w.dir !== 'services/cli')) {
      expect({ [w.dir]: w.dependencies.filter(isService) }).toEqual({ [w.dir]: [] });
    }
  });
});
