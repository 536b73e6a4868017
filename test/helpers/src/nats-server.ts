/**
 * A real `nats-server -js` for tests: from the binary on PATH, on a free loopback port,
 * with a temporary JetStream store directory, so that a test can kill it and restart it
 * on the same port and store (the "NATS restarted" fault).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface NatsServerOptions {
  /** Client port (default: a free one). Kept across restart(). */
  port?: number;
  /** JetStream store directory (default: a temp dir, removed on stop()). Kept across restart(). */
  storeDir?: string;
  /** How long to wait for the server to become healthy (default 15 s). */
  startTimeoutMs?: number;
  /**
   * Extra nats-server configuration (its own syntax: `tls { … }`, `authorization { … }`),
   * written to a file in the store dir's parent and given with `-c`. The command-line
   * flags (loopback, port, JetStream store) still apply.
   */
  config?: string;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM and wait for the process to exit; removes the store dir unless the caller gave it. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: nothing flushed on purpose) and wait for the exit; keeps the store dir. */
  kill(): Promise<void>;
  /** Start again on the same port and store dir (after kill(), or while running: kill first). */
  restart(): Promise<void>;
}

/** Polls the monitoring endpoint until JetStream reports healthy, or the process dies. */
async function waitHealthy(
  child: ChildProcess,
  monitorPort: number,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `nats-server exited during start (code ${child.exitCode}, signal ${child.signalCode}): ${stderr()}`,
        );
      }
      try {
        const response = await fetch(`http://127.0.0.1:${monitorPort}/healthz`, {
          signal: AbortSignal.timeout(1000),
        });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs, intervalMs: 50, what: () => `nats-server to be healthy: ${stderr()}` },
  );
}

async function waitExit(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `nats-server -js -a 127.0.0.1 -p <port> -m <port> -sd <dir>` and waits until it is healthy. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const port = options.port ?? (await freePort());
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(path.join(tmpdir(), 'tdm-nats-')));
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  let configFile: string | null = null;
  if (options.config !== undefined) {
    configFile = path.join(await mkdtemp(path.join(tmpdir(), 'tdm-nats-conf-')), 'nats.conf');
    await writeFile(configFile, options.config + '\n', { mode: 0o600 });
    await chmod(configFile, 0o600);
  }
  let child: ChildProcess | null = null;
  let stderrTail = '';

  const launch = async (): Promise<void> => {
    const monitorPort = await freePort();
    stderrTail = '';
    const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', storeDir];
    if (configFile !== null) args.unshift('-c', configFile);
    const proc = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    // Keep only the tail of the log: enough to explain a failed start.
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    proc.once('error', (error) => {
      stderrTail += `\nspawn error: ${error.message}`;
    });
    child = proc;
    try {
      await waitHealthy(proc, monitorPort, startTimeoutMs, () => stderrTail);
    } catch (error) {
      await waitExit(proc, 'SIGKILL', 5000);
      throw error;
    }
  };

  await launch();

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      if (child) await waitExit(child, 'SIGTERM', 10_000);
      child = null;
      if (ownStore) await rm(storeDir, { recursive: true, force: true });
      if (configFile !== null) await rm(path.dirname(configFile), { recursive: true, force: true });
    },
    async kill() {
      if (child) await waitExit(child, 'SIGKILL', 5000);
    },
    async restart() {
      if (child) await waitExit(child, 'SIGKILL', 5000);
      await launch();
    },
  };
}
