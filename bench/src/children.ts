/**
 * Every process the bench starts goes through here, so that all of them are killed when
 * the bench ends — normally, on an error, on Ctrl-C, or on its own deadline.
 */
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or null after a signal) when the process ended. */
  readonly exited: Promise<number | null>;
  /** The last few KB of stderr and stdout, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
  readonly alive: boolean;
}

const TAIL_BYTES = 4096;
/** Cleanups run after a signal or a failure kills everything: at most this long in all. */
const CLEANUP_LIMIT_MS = 5000;
const running = new Set<Managed>();
const cleanups = new Set<() => Promise<void>>();
let hooked = false;

/** Registers work to do when the bench is interrupted (drop the database, …); returns an unregister function. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Kills every child, runs the cleanups (bounded in time), then exits. */
export async function abortAndExit(code: number): Promise<never> {
  killAllNow();
  const all = Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, CLEANUP_LIMIT_MS))]);
  process.exit(code);
}

function killAllNow(): void {
  for (const managed of running) {
    try {
      managed.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void abortAndExit(130);
    });
  }
}

function manage(name: string, child: ChildProcess): Managed {
  hookExit();
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let alive = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      alive = false;
      running.delete(managed);
      resolve(code);
    });
  });
  const managed: Managed = {
    name,
    child,
    pid: child.pid,
    exited,
    tail: () => tail,
    get alive() {
      return alive;
    },
    async stop(graceMs = 5000) {
      if (!alive) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(managed);
  return managed;
}

/** Starts a program (stdout and stderr captured). */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Managed {
  return manage(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

/** Starts a Node module with an IPC channel. */
export function forkModule(
  name: string,
  modulePath: string,
  args: string[],
  options: ForkOptions = {},
): Managed {
  return manage(
    name,
    fork(modulePath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [], ...options }),
  );
}

/** Kills everything still running (SIGKILL). */
export function killAll(): void {
  killAllNow();
}

/** Stops everything still running, politely first. */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...running].map((managed) => managed.stop(graceMs)));
}
