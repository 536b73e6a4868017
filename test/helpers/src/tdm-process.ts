/**
 * The built `tdm` as a real child process, as an operator runs it: one command to its
 * exit, or a long-running service a test can stop or kill. Every start first checks that
 * the build is not stale.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertBuildIsFresh, REPO_ROOT } from './build-freshness.js';
import { waitFor } from './wait-for.js';

export const TDM_MAIN = path.join(REPO_ROOT, 'services/cli/dist/main.js');

/** The admin token every `tdm` started here accepts (TDM_ADMIN_TOKEN; a test may override it). */
export const TEST_ADMIN_TOKEN = 'integration-admin-token-0123456789abcdef';

/** Services log at `warn` unless a test asks for more, and accept the test admin token. */
function tdmEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, TDM_LOG_LEVEL: 'warn', TDM_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env };
}

export interface TdmProcess {
  child: ChildProcess;
  /** The tail of its stderr and stdout, for failure messages. */
  output(): string;
  /** SIGTERM and wait (clean stop). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
}

/** Starts `tdm <args>` in the background. */
export function startTdm(args: string[], env: Record<string, string>): TdmProcess {
  assertBuildIsFresh();
  const child = spawn(process.execPath, [TDM_MAIN, ...args], {
    env: tdmEnv(env),
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

export interface TdmRun {
  code: number;
  stdout: string;
  stderr: string;
}

const execFileAsync = promisify(execFile);

/** Runs `tdm <args>` to its exit (killed after `timeoutMs`) and returns its exit code and output. */
export async function runTdm(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<TdmRun> {
  assertBuildIsFresh();
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [TDM_MAIN, ...args], {
      env: tdmEnv(env),
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as TdmRun;
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

/** Polls `url` until it answers 200; fails early, with the process output, if the process exits. */
export async function waitForHttp(url: string, proc: TdmProcess, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null)
        throw new Error(`process exited (${proc.child.exitCode}):\n${proc.output()}`);
      try {
        return (await fetch(url)).ok;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs, intervalMs: 100, what: () => `${url} to answer 200:\n${proc.output()}` },
  );
}
