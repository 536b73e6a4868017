/**
 * A real DNS server for tests: dnsmasq on 127.0.0.1 and a free port, answering from a
 * hosts file the test controls. Every `*.test` name it does not know gets NXDOMAIN
 * (`--local=/test/`); it has no upstream servers, so no query ever leaves loopback.
 * `setHosts()` rewrites the file and sends SIGHUP, then waits until the new file is in
 * force (a generation marker name resolves), so a test can make a name vanish mid-run.
 *
 * Needs the `dnsmasq` binary (Debian: `apt-get install -y dnsmasq-base`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface Dnsmasq {
  /** `127.0.0.1:port`, for the prober's dnsServers. */
  readonly server: string;
  readonly port: number;
  /** Replaces the hosts file (name → addresses) and waits until dnsmasq answers from it. */
  setHosts(hosts: Record<string, string[]>): Promise<void>;
  stop(): Promise<void>;
}

export interface DnsmasqOptions {
  hosts?: Record<string, string[]>;
  /** More dnsmasq options, e.g. `--server=/broken.test/127.0.0.1#9` or `--txt-record=...`. */
  extraArgs?: string[];
}

const MARKER_ZONE = 'generation.dnsmasq.test';

function hostsText(hosts: Record<string, string[]>, generation: number): string {
  const lines = [`127.0.0.1 g${generation}.${MARKER_ZONE}`];
  for (const [name, addresses] of Object.entries(hosts))
    for (const address of addresses) lines.push(`${address} ${name}`);
  return lines.join('\n') + '\n';
}

/** dnsmasq answers within seconds; a longer wait means it is not serving the file. */
function untilAnswered(condition: () => Promise<boolean>, what: string): Promise<void> {
  return waitFor(condition, { timeoutMs: 5000, intervalMs: 50, what: `dnsmasq ${what}` });
}

/** Starts dnsmasq; throws with an install hint when the binary is missing. */
export async function startDnsmasq(options: DnsmasqOptions = {}): Promise<Dnsmasq> {
  if (spawnSync('dnsmasq', ['--version']).error) {
    throw new Error('dnsmasq not found: install it (Debian: apt-get install -y dnsmasq-base)');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tdm-dnsmasq-'));
  const hostsFile = path.join(dir, 'hosts');
  let generation = 0;
  writeFileSync(hostsFile, hostsText(options.hosts ?? {}, generation));
  const port = await freePort();
  const server = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-poll',
      '--no-hosts',
      `--addn-hosts=${hostsFile}`,
      '--local=/test/',
      '--cache-size=0',
      `--pid-file=${path.join(dir, 'pid')}`,
      '--user=root',
      '--log-facility=-',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([server]);
  const answers = async (name: string): Promise<boolean> => {
    if (exited) throw new Error(`dnsmasq exited: ${stderr}`);
    try {
      return (await resolver.resolve4(name)).length > 0;
    } catch {
      return false;
    }
  };
  await untilAnswered(() => answers(`g${generation}.${MARKER_ZONE}`), 'start-up');

  return {
    server,
    port,
    async setHosts(hosts) {
      generation++;
      writeFileSync(hostsFile, hostsText(hosts, generation));
      child.kill('SIGHUP');
      await untilAnswered(() => answers(`g${generation}.${MARKER_ZONE}`), `hosts generation ${generation}`);
    },
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
