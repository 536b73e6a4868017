/**
 * The two in-process contenders (bare undici, Crawlee), each in its own child process,
 * driven over IPC; the fixture's CPU is read over exactly each window.
 */
import path from 'node:path';
import { forkModule, type Managed } from './children.js';
import { ask } from './ipc.js';
import { cpuSeconds } from './proc-stats.js';
import type { ConnectionMode, PlanParams } from './web-plan.js';
import type { WindowResult } from './window.js';

export interface ContenderRun extends WindowResult {
  /** The fixture web's CPU seconds over the same window. */
  fixtureCpuSeconds: number;
}

export interface ContenderChild {
  readonly process: Managed;
  run(options: {
    mode: ConnectionMode;
    concurrency: number;
    warmupMs: number;
    windowMs: number;
    requests?: number;
  }): Promise<ContenderRun>;
}

/** Resolves with the child's first message (its `ready`), or rejects if it exits first. */
export async function firstMessage<T>(managed: Managed, timeoutMs: number): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${managed.name}: not ready within ${timeoutMs} ms: ${managed.tail()}`)),
      timeoutMs,
    );
    managed.child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as T);
    });
    managed.exited.then(
      () => {
        clearTimeout(timer);
        reject(new Error(`${managed.name} exited during start: ${managed.tail()}`));
      },
      () => undefined,
    );
  });
}

export async function startContender(
  kind: 'bare' | 'crawlee',
  distDir: string,
  plan: PlanParams,
  port: number,
  fixturePid: number,
): Promise<ContenderChild> {
  const managed = forkModule(kind, path.join(distDir, `${kind}-child.js`), [
    JSON.stringify(plan),
    String(port),
  ]);
  await firstMessage(managed, 30_000);
  return {
    process: managed,
    async run(options) {
      let fixtureStart: number | null = null;
      let fixtureCpu = 0;
      const onEvent = (message: unknown): void => {
        const event = (message as { event?: string }).event;
        if (event === 'window-open') fixtureStart = cpuSeconds(fixturePid);
        if (event === 'window-close' && fixtureStart !== null)
          fixtureCpu = (cpuSeconds(fixturePid) ?? fixtureStart) - fixtureStart;
      };
      managed.child.on('message', onEvent);
      try {
        const timeoutMs = options.warmupMs + options.windowMs + 90_000;
        const result = await ask<WindowResult>(managed, { type: 'run', ...options }, timeoutMs);
        return { ...result, fixtureCpuSeconds: fixtureCpu };
      } finally {
        managed.child.off('message', onEvent);
      }
    },
  };
}
