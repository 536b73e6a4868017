/** A nats-server with JetStream on free loopback ports and a temporary store, for one phase. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProcess, type Managed } from './children.js';
import { freePort, waitHttpOk } from './ports.js';

export interface NatsHandle {
  url: string;
  process: Managed;
  stop(): Promise<void>;
}

/** Tries to start; a port taken between freePort() and the bind is retried on new ports. */
export async function startNats(): Promise<NatsHandle> {
  const ATTEMPTS = 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsOnce();
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
    }
  }
}

async function startNatsOnce(): Promise<NatsHandle> {
  const port = await freePort();
  const monitorPort = await freePort();
  const storeDir = await mkdtemp(path.join(tmpdir(), 'tdm-bench-nats-'));
  const managed = startProcess('nats-server', 'nats-server', [
    '-js',
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    String(monitorPort),
    '-sd',
    storeDir,
  ]);
  try {
    await waitHttpOk(
      `http://127.0.0.1:${monitorPort}/healthz`,
      15_000,
      () => managed.tail(),
      () => managed.alive,
    );
  } catch (error) {
    await managed.stop(1000);
    await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    process: managed,
    async stop() {
      await managed.stop(5000);
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
