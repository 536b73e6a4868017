/**
 * The benchmark's web, as a pure function of a few numbers: host names, the loopback
 * address of each host, paths, and which bodies (of known SHA-256) or 404s they serve.
 * The fixture child and every contender build the same plan from the same parameters, so
 * no URL list has to travel between processes.
 */
import { makeBody, sha256Hex } from '@tdm/fixture-web';

/** The knobs of the plan; every process must use the same values. */
export interface PlanParams {
  /** Virtual host names (each its own registrable domain, so politeness sees many domains). */
  hosts: number;
  /** Paths per host. */
  pathsPerHost: number;
  /** Distinct bodies (shared between URLs, so the fixture's memory stays small). */
  bodies: number;
  /** Every n-th URL answers 404. */
  notFoundEvery: number;
  /** Loopback addresses per connection mode. */
  addressesPerMode: number;
}

export const DEFAULT_PLAN: PlanParams = {
  hosts: 1200,
  pathsPerHost: 10,
  bodies: 256,
  notFoundEvery: 10,
  addressesPerMode: 4,
};

/**
 * How connections are used: `keepalive` fixture listeners keep connections open between
 * requests; `fresh` listeners close each connection after one response (`Connection: close`),
 * so every contender pays a TCP connect per check, whether or not it can be told to.
 */
export type ConnectionMode = 'keepalive' | 'fresh';
export const CONNECTION_MODES: readonly ConnectionMode[] = ['keepalive', 'fresh'];

export interface PlanBody {
  seed: string;
  size: number;
  sha256: string;
}

export interface PlanUrl {
  host: string;
  path: string;
  /** Index into `bodies`: the body served (200) or, for a 404, the hash the report expects. */
  body: number;
  /** True when the fixture serves no route here (answers 404). */
  notFound: boolean;
}

export interface WebPlan {
  params: PlanParams;
  hosts: string[];
  bodies: PlanBody[];
  urls: PlanUrl[];
  /** Listener addresses of each mode. */
  addresses: Record<ConnectionMode, string[]>;
  /** host → address, per mode (the static host map every contender uses; never DNS). */
  hostMap: Record<ConnectionMode, Record<string, string>>;
}

/** Body sizes spread over 2–20 KB. */
function bodySize(index: number): number {
  return 2048 + ((index * 7919) % (18 * 1024 + 1));
}

/** Builds the plan (about 5 ms for the defaults; bodies are hashed once here). */
export function buildPlan(params: PlanParams = DEFAULT_PLAN): WebPlan {
  const bodies: PlanBody[] = [];
  for (let b = 0; b < params.bodies; b++) {
    const seed = `bench-${b}`;
    const size = bodySize(b);
    bodies.push({ seed, size, sha256: sha256Hex(makeBody(seed, size)) });
  }
  const addresses: Record<ConnectionMode, string[]> = { keepalive: [], fresh: [] };
  for (let a = 0; a < params.addressesPerMode; a++) {
    addresses.keepalive.push(`127.0.0.${2 + a}`);
    addresses.fresh.push(`127.0.1.${2 + a}`);
  }
  const hosts: string[] = [];
  const hostMap: Record<ConnectionMode, Record<string, string>> = { keepalive: {}, fresh: {} };
  for (let h = 0; h < params.hosts; h++) {
    const host = `site${String(h).padStart(5, '0')}.test`;
    hosts.push(host);
    hostMap.keepalive[host] = addresses.keepalive[h % params.addressesPerMode]!;
    hostMap.fresh[host] = addresses.fresh[h % params.addressesPerMode]!;
  }
  // Interleaved by host (URL k is on host k mod H), so any run of consecutive URLs spreads
  // over many hosts and domains, as a real queue of reports would.
  const urls: PlanUrl[] = [];
  for (let p = 0; p < params.pathsPerHost; p++) {
    for (let h = 0; h < params.hosts; h++) {
      const k = urls.length;
      urls.push({
        host: hosts[h]!,
        path: `/p/${p}.bin`,
        body: (h * 7 + p) % params.bodies,
        notFound: k % params.notFoundEvery === params.notFoundEvery - 1,
      });
    }
  }
  return { params, hosts, bodies, urls, addresses, hostMap };
}

/** The full URL of a plan entry on the fixture's port. */
export function planUrl(entry: PlanUrl, port: number): string {
  return `http://${entry.host}:${port}${entry.path}`;
}
