/** `tdm up`, the all-in-one process, on a temporary data folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { startTdm, waitForHttp, type TdmProcess } from './tdm-process.js';

export interface TdmUp {
  proc: TdmProcess;
  /** `http://127.0.0.1:<port>`, where the API listens. */
  api: string;
  dataDir: string;
  /** Stops it (SIGTERM, if still running) and removes its data folder. */
  close(): Promise<void>;
}

/**
 * `tdm up` on the embedded default (nats-server child and PGlite in a temporary data
 * folder), its API on a free loopback port; resolves once /readyz answers.
 */
export async function startTdmUp(env: Record<string, string>): Promise<TdmUp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tdm-up-'));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const proc = startTdm(['up'], {
    TDM_DATA_DIR: dataDir,
    NATS_URL: '',
    DATABASE_URL: '',
    TDM_LISTEN: `127.0.0.1:${port}`,
    ...env,
  });
  const close = async (): Promise<void> => {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${api}/readyz`, proc, 60_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { proc, api, dataDir, close };
}
