import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Behaviour, BehaviourKind } from './behaviour.js';
import { validateBehaviour } from './behaviour.js';
import { brotliOfZeros, gzipOfZeros } from './gzip-bomb.js';
import { hostKey, pathKey, targetPath } from './host-key.js';
import { Listener } from './listener.js';
import { Prng } from './prng.js';
import { respond } from './respond.js';
import type { RespondContext } from './respond.js';
import { RingLog } from './ring-log.js';

/** Options of {@link startFixtureWeb}. */
export interface FixtureWebOptions {
  /** Loopback addresses to listen on, all on the same port. @default ['127.0.0.1'] */
  addresses?: string[];
  /** The port; 0 lets the kernel pick a free one. @default 0 */
  port?: number;
  /** How many entries `log` keeps (the newest). @default 1000 */
  logLimit?: number;
  /** Safety cap of an `endless` body, after which the socket is destroyed. @default 4 GiB */
  endlessMaxBytes?: number;
  /** Safety cap of an `endless` body's duration. @default 300_000 (5 minutes) */
  endlessMaxMs?: number;
}

/** One request as the fixture saw it. */
export interface FixtureLogEntry {
  /** Arrival time, epoch milliseconds. */
  at: number;
  /** The listener address the request came in on. */
  address: string;
  /** The Host header's virtual-host key (lower-case, no port). */
  host: string;
  /** The request target (path and query). */
  path: string;
  /** The behaviour that answered, or null for an unknown host/path (404). */
  kind: BehaviourKind | null;
  /** The status the client was sent, or null when it was sent none (stall, reset). */
  status: number | null;
}

/** A controllable web of virtual hosts on loopback. See {@link startFixtureWeb}. */
export interface FixtureWeb {
  /** The one port every address listens on. */
  readonly port: number;
  /** The listener addresses, as given. */
  readonly addresses: readonly string[];
  /** `http://host:port/path`. */
  url(host: string, path: string): string;
  /**
   * Sets what (host, path) does from now on. `path` may carry a query string: a request
   * matches its full target first, then its path without the query.
   */
  set(host: string, path: string, behaviour: Behaviour): void;
  /** Forgets (host, path): it answers 404 from now on. */
  remove(host: string, path: string): void;
  /** Closes (down) or reopens (up) one address's listener; while down, connections are refused. */
  setHostDown(address: string, down: boolean): Promise<void>;
  /**
   * HTTP requests received: in all, for one host, or for one (host, path). A path without
   * '?' counts every query string on that path; one with '?' counts only that exact target.
   */
  requests(host?: string, path?: string): number;
  /** TCP connections accepted: in all or on one listener address. */
  connections(address?: string): number;
  /** The newest requests, oldest first (at most `logLimit`). */
  readonly log: readonly FixtureLogEntry[];
  /** Sets every request and connection count to zero and empties the log. */
  resetCounters(): void;
  /** Closes every listener and destroys every open socket (stalled ones too). Idempotent. */
  close(): Promise<void>;
}

interface Route {
  behaviour: Behaviour;
  /** Only for `flap`: the generator, fresh at each set(), so a sequence can be replayed. */
  prng: Prng | null;
}

const NOT_FOUND = Buffer.from('not found\n');
const MAX_PORT_ATTEMPTS = 5;

/**
 * Starts a fixture web: the same port on every given loopback address, virtual hosts by
 * the Host header, behaviour per (host, path) that a test changes at any time.
 */
export async function startFixtureWeb(options: FixtureWebOptions = {}): Promise<FixtureWeb> {
  const web = new FixtureWebServer(options);
  await web.start(options.port ?? 0);
  return web;
}

class FixtureWebServer implements FixtureWeb {
  readonly addresses: readonly string[];
  #port = 0;
  #closed = false;
  readonly #listeners = new Map<string, Listener>();
  readonly #routes = new Map<string, Map<string, Route>>();
  /** host → request target → count. */
  readonly #requestCounts = new Map<string, Map<string, number>>();
  readonly #connectionCounts = new Map<string, number>();
  readonly #log: RingLog<FixtureLogEntry>;
  /** `encoding:expandedBytes` → the encoded bomb. */
  readonly #bombCache = new Map<string, Promise<Buffer>>();
  readonly #ctx: RespondContext;

  constructor(options: FixtureWebOptions) {
    const addresses = options.addresses ?? ['127.0.0.1'];
    if (addresses.length === 0) throw new RangeError('startFixtureWeb: addresses must not be empty');
    if (new Set(addresses).size !== addresses.length)
      throw new RangeError('startFixtureWeb: duplicate address');
    this.addresses = [...addresses];
    this.#log = new RingLog(options.logLimit ?? 1000);
    this.#ctx = {
      gzipOfZeros: (n) => this.#bomb('gzip', n),
      brotliOfZeros: (n) => this.#bomb('br', n),
      endlessMaxBytes: options.endlessMaxBytes ?? 4 * 1024 ** 3,
      endlessMaxMs: options.endlessMaxMs ?? 300_000,
    };
    for (const address of addresses) {
      this.#connectionCounts.set(address, 0);
      this.#listeners.set(
        address,
        new Listener(
          address,
          (req, res) => this.#handle(address, req, res),
          () => this.#connectionCounts.set(address, (this.#connectionCounts.get(address) ?? 0) + 1),
        ),
      );
    }
  }

  /** Opens every listener on one port; with port 0, retries when another address has the kernel's pick taken. */
  async start(port: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        let chosen = port;
        for (const listener of this.#listeners.values()) chosen = await listener.open(chosen);
        this.#port = chosen;
        return;
      } catch (err) {
        await Promise.all([...this.#listeners.values()].map((l) => l.close()));
        const code = (err as NodeJS.ErrnoException).code;
        if (port !== 0 || code !== 'EADDRINUSE' || attempt >= MAX_PORT_ATTEMPTS) throw err;
      }
    }
  }

  get port(): number {
    return this.#port;
  }

  get log(): readonly FixtureLogEntry[] {
    return this.#log.toArray();
  }

  url(host: string, path: string): string {
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `http://${h}:${this.#port}${pathKey(path)}`;
  }

  set(host: string, path: string, behaviour: Behaviour): void {
    validateBehaviour(behaviour);
    const key = hostKey(host);
    let routes = this.#routes.get(key);
    if (!routes) this.#routes.set(key, (routes = new Map()));
    const prng = behaviour.kind === 'flap' ? new Prng(behaviour.seed ?? 1) : null;
    routes.set(pathKey(path), { behaviour, prng });
    // Build the bomb now, so the first request is answered as fast as the later ones.
    if (behaviour.kind === 'gzip-bomb') this.#bomb('gzip', behaviour.expandedBytes).catch(() => undefined);
    if (behaviour.kind === 'br-bomb') this.#bomb('br', behaviour.expandedBytes).catch(() => undefined);
  }

  remove(host: string, path: string): void {
    this.#routes.get(hostKey(host))?.delete(pathKey(path));
  }

  async setHostDown(address: string, down: boolean): Promise<void> {
    const listener = this.#listeners.get(address);
    if (!listener) throw new RangeError(`setHostDown: not a listener address: ${address}`);
    if (this.#closed) throw new Error('setHostDown: the fixture web is closed');
    if (down) await listener.close();
    else if (!listener.isOpen) await listener.open(this.#port);
  }

  requests(host?: string, path?: string): number {
    let total = 0;
    const hosts =
      host === undefined ? [...this.#requestCounts.values()] : [this.#requestCounts.get(hostKey(host))];
    const wanted = path === undefined ? undefined : pathKey(path);
    const exact = wanted?.includes('?') ?? false;
    for (const targets of hosts) {
      if (!targets) continue;
      for (const [target, n] of targets) {
        if (wanted === undefined || target === wanted || (!exact && stripQuery(target) === wanted))
          total += n;
      }
    }
    return total;
  }

  connections(address?: string): number {
    if (address !== undefined) return this.#connectionCounts.get(address) ?? 0;
    let total = 0;
    for (const n of this.#connectionCounts.values()) total += n;
    return total;
  }

  resetCounters(): void {
    this.#requestCounts.clear();
    for (const address of this.#connectionCounts.keys()) this.#connectionCounts.set(address, 0);
    this.#log.clear();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#listeners.values()].map((l) => l.close()));
  }

  #handle(address: string, req: IncomingMessage, res: ServerResponse): void {
    // Drain any request body: "read the request", so no client blocks on a full socket buffer.
    req.resume();
    const host = hostKey(req.headers.host ?? '');
    const target = targetPath(req.url);
    this.#count(host, target);
    const route = this.#route(host, target);
    let status: number | null;
    try {
      if (!route) {
        res.writeHead(404, { 'content-type': 'text/plain', 'content-length': NOT_FOUND.length });
        res.end(NOT_FOUND);
        status = 404;
      } else {
        status = respond(this.#resolveFlap(route), req, res, this.#ctx);
      }
    } catch {
      // A behaviour that cannot be sent (say, a Location with invalid characters) ends the connection.
      req.socket.destroy();
      status = null;
    }
    this.#log.push({
      at: Date.now(),
      address,
      host,
      path: target,
      kind: route?.behaviour.kind ?? null,
      status,
    });
  }

  #route(host: string, target: string): Route | undefined {
    const routes = this.#routes.get(host);
    if (!routes) return undefined;
    return routes.get(target) ?? routes.get(stripQuery(target));
  }

  #resolveFlap(route: Route): Behaviour {
    const b = route.behaviour;
    if (b.kind !== 'flap' || !route.prng) return b;
    const r = route.prng.next();
    if (r < b.pFail) return { kind: 'status', status: 503 };
    if (r < b.pFail + b.pStall) return { kind: 'stall' };
    return { kind: 'body', body: b.body };
  }

  #count(host: string, target: string): void {
    let targets = this.#requestCounts.get(host);
    if (!targets) this.#requestCounts.set(host, (targets = new Map()));
    targets.set(target, (targets.get(target) ?? 0) + 1);
  }

  #bomb(encoding: 'gzip' | 'br', expandedBytes: number): Promise<Buffer> {
    const key = `${encoding}:${expandedBytes}`;
    let p = this.#bombCache.get(key);
    if (!p) {
      p = encoding === 'gzip' ? gzipOfZeros(expandedBytes) : brotliOfZeros(expandedBytes);
      this.#bombCache.set(key, p);
      // A failed build is not cached, so the next request tries again.
      p.catch(() => this.#bombCache.delete(key));
    }
    return p;
  }
}

function stripQuery(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}
