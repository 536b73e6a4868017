/**
 * The embedded default for one machine: when no NATS_URL is configured, `tdm up` and
 * `tdm demo` start `nats-server` (Debian's package, from PATH) as a child process with
 * JetStream storing under the data folder, on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, SETTINGS, TdmError } from '@tdm/core';
import type { Logger } from '@tdm/telemetry';

export interface EmbeddedNats {
  url: string;
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startEmbeddedNats(dataDir: string, logger: Logger): Promise<EmbeddedNats> {
  const storeDir = path.resolve(dataDir, 'nats');
  try {
    mkdirSync(storeDir, { recursive: true });
  } catch (error) {
    throw new ConfigError(`${SETTINGS.dataDir.env}: cannot create ${storeDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const port = await freeLoopbackPort();
  let child: ChildProcess;
  try {
    child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    throw new TdmError('TDM_ERR_NATS', `cannot start nats-server: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let exited = null as string | null;
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  child.once('error', (error) => {
    exited = error.message;
  });
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (exited !== null) {
      const hint = exited.includes('ENOENT')
        ? ' (is nats-server installed? `apt-get install nats-server`)'
        : '';
      throw new TdmError('TDM_ERR_NATS', `nats-server ${exited}${hint}\n${stderrTail}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new TdmError(
        'TDM_ERR_NATS',
        `nats-server did not accept connections on 127.0.0.1:${port} within 15 s`,
      );
    }
    await sleep(50);
  }
  logger.info({ port, storeDir }, 'started embedded nats-server');
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (exited !== null) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}
