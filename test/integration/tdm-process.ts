/**
 * Runs `tdm <service>` as a real child process from the built CLI, so tests can kill
 * and restart a service the way an operator or a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TDM_MAIN = path.join(ROOT, 'services/cli/dist/main.js');

export interface TdmProcess {
  child: ChildProcess;
  /** The tail of its stderr and stdout, for failure messages. */
  output(): string;
  /** SIGTERM and wait (clean stop). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
}

export function startTdm(args: string[], env: Record<string, string>): TdmProcess {
  const child = spawn(process.execPath, [TDM_MAIN, ...args], {
    env: { ...process.env, TDM_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { child, output: () => tail, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** Polls `url` until it answers 200, or fails with the process output. */
export async function waitForHttp(url: string, proc: TdmProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`process exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${proc.output()}`);
}
