/**
 * A JetStream cluster of real nats-servers on loopback (routes between them, a store dir
 * each), so that a test can kill -9 one node, e.g. a stream's leader, and bring it back
 * on the same ports and store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface NatsClusterNode {
  readonly name: string;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly monitorPort: number;
  readonly running: boolean;
  /** SIGKILL (a crash) and wait for the exit; keeps the store. */
  kill(): Promise<void>;
  /** Start again on the same ports and store; resolves once it is healthy (after a kill: JetStream up). */
  start(): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: readonly NatsClusterNode[];
  /** Every node's client URL (what NATS_URL lists). */
  readonly urls: string[];
  /** The server name of `stream`'s leader, asked of a running node's monitoring endpoint. */
  streamLeader(stream: string): Promise<string | null>;
  /** Stops every node and removes the stores. */
  stop(): Promise<void>;
}

interface JszStream {
  name: string;
  cluster?: { leader?: string };
}
interface Jsz {
  account_details?: Array<{ stream_detail?: JszStream[] }>;
}

async function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await done;
}

/** Starts `size` (default 3) routed nats-servers with JetStream and waits until all are healthy. */
export async function startNatsCluster(options: { size?: number } = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const root = await mkdtemp(path.join(tmpdir(), 'tdm-nats-cluster-'));
  const specs: Array<{ name: string; port: number; monitorPort: number; routePort: number }> = [];
  for (let i = 0; i < size; i++)
    specs.push({
      name: `n${i}`,
      port: await freePort(),
      monitorPort: await freePort(),
      routePort: await freePort(),
    });
  const routes = specs.map((s) => `nats://127.0.0.1:${s.routePort}`).join(',');

  const nodes = specs.map((spec): NatsClusterNode & { stopNode(): Promise<void> } => {
    let child: ChildProcess | null = null;
    let stderr = '';
    let started = false;
    const healthy = async (): Promise<boolean> => {
      // A node that comes back reports its idle consumers "not current" for a long time
      // (nats-server 2.9): once it has run, JetStream being up is what "back" means (the
      // k8s liveness probe asks the same).
      const query = started ? '?js-enabled-only=true' : '';
      try {
        const response = await fetch(`http://127.0.0.1:${spec.monitorPort}/healthz${query}`, {
          signal: AbortSignal.timeout(1000),
        });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    };
    return {
      name: spec.name,
      url: `nats://127.0.0.1:${spec.port}`,
      monitorPort: spec.monitorPort,
      get running() {
        return child !== null;
      },
      async kill() {
        if (child) await exited(child, 'SIGKILL');
        child = null;
      },
      async start() {
        stderr = '';
        const proc = spawn(
          'nats-server',
          [
            '-js',
            '-n',
            spec.name,
            '-a',
            '127.0.0.1',
            '-p',
            String(spec.port),
            '-m',
            String(spec.monitorPort),
            '-sd',
            path.join(root, spec.name),
            '--cluster_name',
            'tdm-test',
            '--cluster',
            `nats://127.0.0.1:${spec.routePort}`,
            '--routes',
            routes,
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        proc.stderr?.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString('utf8')).slice(-4000);
        });
        child = proc;
        await waitFor(
          async () => {
            if (proc.exitCode !== null) throw new Error(`nats-server ${spec.name} exited: ${stderr}`);
            return await healthy();
          },
          { timeoutMs: 30_000, intervalMs: 100, what: () => `nats-server ${spec.name} healthy: ${stderr}` },
        );
        started = true;
      },
      async stopNode() {
        if (child) await exited(child, 'SIGTERM');
        child = null;
      },
    };
  });

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stopNode()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    // Together: a node's JetStream is healthy only once the cluster has a meta leader.
    await Promise.all(nodes.map((node) => node.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    async streamLeader(stream) {
      for (const node of nodes.filter((n) => n.running)) {
        try {
          const response = await fetch(
            `http://127.0.0.1:${node.monitorPort}/jsz?accounts=true&streams=true`,
            { signal: AbortSignal.timeout(2000) },
          );
          const jsz = (await response.json()) as Jsz;
          for (const account of jsz.account_details ?? [])
            for (const detail of account.stream_detail ?? [])
              if (detail.name === stream && detail.cluster?.leader) return detail.cluster.leader;
        } catch {
          // try the next node
        }
      }
      return null;
    },
    stop,
  };
}
