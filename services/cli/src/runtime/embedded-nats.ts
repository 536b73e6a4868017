/**
 * The embedded default for one machine: when no NATS_URL is configured, `tdm up` and
 * `tdm demo` start `nats-server` (Debian's package, from PATH) as a child process with
 * JetStream storing under the data folder, on a free port of 127.0.0.1 only.
 *
 * It accepts no anonymous client: its configuration (`<dataDir>/nats-server.conf`, mode
 * 0600, rewritten at each start) has one user per service with a fresh random password
 * and only that service's permissions (servicePermissions in @tdm/bus), so another local
 * user or a web page cannot read the tracked URLs off the bus or forge results.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_ROLES, authorizationBlock, type NatsCredentials, type ServiceRole } from '@tdm/bus';
import { ConfigError, SETTINGS, TdmError } from '@tdm/core';
import type { Logger } from '@tdm/telemetry';

export interface EmbeddedNats {
  url: string;
  /** The user and password of a service on this server. */
  credentials(role: ServiceRole): NatsCredentials;
  stop(): Promise<void>;
}

/** The configuration of the child: loopback, JetStream under the data folder, the service users. */
function writeServerConfig(
  file: string,
  port: number,
  storeDir: string,
  users: Array<{ role: ServiceRole; user: string; password: string }>,
): void {
  const text = [
    '# Written by tdm at each start of the embedded nats-server; do not edit.',
    `listen: "127.0.0.1:${port}"`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
    authorizationBlock(users),
    '',
  ].join('\n');
  // 0600 from the first byte: the file holds the passwords.
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
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
  const users = SERVICE_ROLES.map((role) => ({
    role,
    user: `tdm-${role}`,
    password: randomBytes(24).toString('base64url'),
  }));
  const configFile = path.resolve(dataDir, 'nats-server.conf');
  writeServerConfig(configFile, port, storeDir, users);
  let child: ChildProcess;
  try {
    child = spawn('nats-server', ['-c', configFile], {
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
    credentials(role) {
      const found = users.find((u) => u.role === role);
      if (found === undefined) throw new TdmError('TDM_ERR_NATS', `no embedded NATS user for ${role}`);
      return { user: found.user, password: found.password };
    },
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
