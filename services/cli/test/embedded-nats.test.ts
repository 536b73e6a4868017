import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tdm/telemetry';
import { startEmbeddedNats } from '../src/runtime/embedded-nats.js';

describe('startEmbeddedNats', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tdm-embedded-nats-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names TDM_DATA_DIR when it cannot make its store directory there', async () => {
    const notADir = path.join(dir, 'plain-file');
    writeFileSync(notADir, '');
    const logger = createLogger({ service: 'test', level: 'silent' });
    await expect(startEmbeddedNats(notADir, logger)).rejects.toMatchObject({
      code: 'TDM_ERR_CONFIG',
      message: expect.stringContaining(`TDM_DATA_DIR: cannot create ${path.join(notADir, 'nats')}`),
    });
  });
});
