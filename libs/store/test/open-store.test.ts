import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { report } from './harness.js';

describe('openStore with the embedded store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdm-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('persists in <dataDir>/pglite across close and reopen', async () => {
    const first = await openStore({ dataDir: dir });
    expect(first.kind).toBe('pglite');
    await first.migrate();
    const [r] = await first.insertReports([report({ url: 'http://persist.example/a' })]);
    await first.close();
    await first.close(); // idempotent
    expect(await readdir(path.join(dir, 'pglite'))).toContain('PG_VERSION');

    const second = await openStore({ dataDir: dir });
    await second.migrate();
    try {
      expect((await second.getItem(r!.itemId))?.url).toBe('http://persist.example/a');
    } finally {
      await second.close();
    }
  });

  it('runs in memory without a data folder', async () => {
    const store = await openStore({});
    try {
      await store.migrate();
      expect(await store.countItemsByState()).toEqual({ pending: 0, online: 0, offline: 0 });
    } finally {
      await store.close();
    }
  });
});
