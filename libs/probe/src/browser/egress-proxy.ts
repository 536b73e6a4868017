/**
 * The egress proxy: every byte Chromium sends leaves through it. One is started per
 * check on 127.0.0.1 (port 0) and given to that check's browser context, so what it
 * records belongs to that check alone. It handles CONNECT (https, wss, and anything
 * tunnelled) and absolute-form plain HTTP requests, resolves each target with the HTTP
 * prober's resolver (host map → DNS → network policy on every answer), connects to the
 * checked address itself and checks the connected peer again. A refused address gets no
 * packet: the refusal happens before `net.connect`.
 *
 * Failures are answered so that Chromium ends the request (a CONNECT gets a 502, so the
 * browser reports ERR_TUNNEL_CONNECTION_FAILED; a plain request gets a 502 carrying a
 * per-proxy secret header) and are recorded with the original error, which the prober
 * classifies with the HTTP prober's classifyError().
 *
 * (The browser-wide proxy that refuses everything is refusing-proxy.ts; what both share,
 * parsing targets and listening on loopback, is proxy-targets.ts.)
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BlockedAddressError } from '../errors.js';
import type { NetworkPolicy } from '../network-policy.js';
import type { CheckResolver } from '../resolver.js';
import { authorityOf, listenOnLoopback, parseConnectTarget } from './proxy-targets.js';

export interface EgressProxyOptions {
  resolver: CheckResolver;
  policy: NetworkPolicy;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
}

/** What the proxy knows about one target authority (`host:port`). */
export interface AuthorityRecord {
  /** The address last connected to. */
  address: string | null;
  /** The last failure to reach it (resolve, policy, connect, upstream response). */
  failure: unknown;
}

export interface EgressStats {
  /** Connections Chromium opened to this proxy. */
  clientConnections: number;
  /** CONNECT tunnels and plain requests asked for. */
  requests: number;
  /** Connections opened to targets. */
  upstreamConnections: number;
  /** Requests refused by the network policy (no packet sent to the target). */
  refusedByPolicy: number;
}

export interface EgressProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for the browser context's `proxy.server`. */
  readonly url: string;
  /** Header name that marks the proxy's own error answers to plain HTTP requests. */
  readonly markerHeader: string;
  /** True when a response's headers carry this proxy's marker (value checked, so a target cannot forge it). */
  isMarked(headers: Record<string, string>): boolean;
  /** What happened to `host:port` (see authorityOf). */
  record(authority: string): AuthorityRecord | undefined;
  /** The failure recorded for one plain-HTTP absolute URL. */
  failureOfUrl(url: string): unknown;
  /** True while a name lookup for `host` is still running. */
  lookingUp(host: string): boolean;
  readonly stats: Readonly<EgressStats>;
  /** Stops listening and destroys every connection, both sides. */
  close(): Promise<void>;
}

/** Request headers that belong to the hop to the proxy, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardHeaders(
  raw: string[],
  extraDropped: ReadonlySet<string> = new Set(),
): Record<string, string | string[]> {
  const connectionTokens = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] ?? '').split(',')) connectionTokens.add(token.trim().toLowerCase());
    }
  }
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (HOP_BY_HOP.has(name) || connectionTokens.has(name) || extraDropped.has(name)) continue;
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else out[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return out;
}

/**
 * Header bytes accepted from Chromium and from targets: Chromium's own limit (256 KiB),
 * not Node's 16 KiB default, which real sites with large cookies and CSP headers pass
 * (and which would turn them into false `connection_reset` removals).
 */
const MAX_HEADER_BYTES = 256 * 1024;

function timeoutError(what: string): Error {
  return Object.assign(new Error(`${what} timed out`), { code: 'ETIMEDOUT' });
}

class PolicyEgressProxy implements EgressProxy {
  readonly #options: EgressProxyOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Duplex>();
  readonly #records = new Map<string, AuthorityRecord>();
  readonly #urlFailures = new Map<string, unknown>();
  readonly #lookups = new Map<string, number>();
  readonly #secret = randomBytes(16).toString('hex');
  readonly #stats: EgressStats = {
    clientConnections: 0,
    requests: 0,
    upstreamConnections: 0,
    refusedByPolicy: 0,
  };
  #port = 0;
  #closed = false;
  readonly markerHeader = 'x-tdm-egress-refusal';

  constructor(options: EgressProxyOptions) {
    this.#options = options;
    this.#server = createServer({
      requestTimeout: 0,
      headersTimeout: options.headersTimeoutMs + 5000,
      maxHeaderSize: MAX_HEADER_BYTES,
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#stats.clientConnections++;
      this.#track(socket);
    });
    this.#server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onConnect(req, socket, head),
    );
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
    // No upgrades on plain requests: Chromium tunnels WebSockets with CONNECT.
    this.#server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.destroy());
    this.#server.on('clientError', (_error: Error, socket: Duplex) => socket.destroy());
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get stats(): Readonly<EgressStats> {
    return this.#stats;
  }

  async listen(): Promise<void> {
    this.#port = await listenOnLoopback(this.#server);
  }

  isMarked(headers: Record<string, string>): boolean {
    return headers[this.markerHeader] === this.#secret;
  }

  record(authority: string): AuthorityRecord | undefined {
    return this.#records.get(authority);
  }

  failureOfUrl(url: string): unknown {
    return this.#urlFailures.get(url);
  }

  lookingUp(host: string): boolean {
    return (this.#lookups.get(host.replace(/^\[|\]$/g, '').toLowerCase()) ?? 0) > 0;
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    if (this.#closed) socket.destroy();
  }

  #remember(authority: string, update: Partial<AuthorityRecord>): void {
    const record = this.#records.get(authority) ?? { address: null, failure: undefined };
    Object.assign(record, update);
    this.#records.set(authority, record);
  }

  #noteFailure(authority: string, error: unknown): void {
    if (error instanceof BlockedAddressError) this.#stats.refusedByPolicy++;
    this.#remember(authority, { failure: error });
  }

  /** Resolves, applies the policy and connects; rejects with the HTTP prober's error types. */
  async #dial(host: string, port: number): Promise<Socket> {
    this.#lookups.set(host, (this.#lookups.get(host) ?? 0) + 1);
    let addresses;
    try {
      addresses = await this.#options.resolver.resolve(host);
    } finally {
      this.#lookups.set(host, (this.#lookups.get(host) ?? 1) - 1);
    }
    // IPv4 first (as most clients do), a bounded number of attempts.
    const ordered = [...addresses].sort((a, b) => a.family - b.family).slice(0, 4);
    let lastError: unknown = new Error(`no address for ${host}`);
    for (const { address } of ordered) {
      // eslint-disable-next-line no-restricted-syntax -- ends a connection that outlived its check (the proxy closes when the check is disposed); no result or log carries it
      if (this.#closed) throw new Error('egress proxy closed');
      // The resolver already refused blocked answers; checked once more right before connect.
      if (!this.#options.policy.allows(address)) throw new BlockedAddressError(host, address);
      try {
        const socket = await this.#connectOnce(address, port);
        const peer = socket.remoteAddress;
        if (peer === undefined || !this.#options.policy.allows(peer)) {
          socket.destroy();
          throw new BlockedAddressError(host, peer ?? 'unknown');
        }
        this.#remember(`${host}:${port}`, { address: peer });
        return socket;
      } catch (error) {
        if (error instanceof BlockedAddressError) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  #connectOnce(address: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      this.#stats.upstreamConnections++;
      const socket = netConnect({ host: address, port, noDelay: true });
      this.#track(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(timeoutError(`connect to ${address}:${port}`), { address }));
      }, this.#options.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(socket);
      });
      const onError = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', onError);
    });
  }

  #onConnect(req: IncomingMessage, client: Duplex, head: Buffer): void {
    this.#stats.requests++;
    const target = parseConnectTarget(req.url);
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const authority = `${target.host}:${target.port}`;
    this.#dial(target.host, target.port).then(
      (upstream) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        upstream.pipe(client);
        client.pipe(upstream);
      },
      (error: unknown) => {
        this.#noteFailure(authority, error);
        if (!client.destroyed)
          client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      },
    );
  }

  #refuse(res: ServerResponse, url: string, authority: string | null, error: unknown): void {
    if (authority) this.#noteFailure(authority, error);
    this.#urlFailures.set(url, error);
    if (this.#urlFailures.size > 1000)
      this.#urlFailures.delete(this.#urlFailures.keys().next().value as string);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(502, { [this.markerHeader]: this.#secret, 'content-length': '0', connection: 'close' });
    res.end();
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#stats.requests++;
    const url = req.url ?? '';
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      // Origin-form: someone talking to the proxy as if it were a web server.
      res.writeHead(400, { 'content-length': '0', connection: 'close' }).end();
      return;
    }
    if (target.protocol !== 'http:') {
      res.writeHead(400, { 'content-length': '0', connection: 'close' }).end();
      return;
    }
    const authority = authorityOf(target);
    const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = Number(target.port || '80');
    this.#dial(host, port).then(
      (upstream) => this.#forward(req, res, target, upstream, authority),
      (error: unknown) => this.#refuse(res, url, authority, error),
    );
  }

  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: URL,
    upstream: Socket,
    authority: string | null,
  ): void {
    if (res.destroyed) {
      upstream.destroy();
      return;
    }
    const outgoing = httpRequest({
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers: forwardHeaders(req.rawHeaders),
      setHost: false,
      maxHeaderSize: MAX_HEADER_BYTES,
      createConnection: () => upstream,
    });
    const headersTimer = setTimeout(
      () => outgoing.destroy(timeoutError('response headers')),
      this.#options.headersTimeoutMs,
    );
    outgoing.on('response', (incoming: IncomingMessage) => {
      clearTimeout(headersTimer);
      // Our marker never comes from a target.
      const headers = forwardHeaders(incoming.rawHeaders, new Set([this.markerHeader]));
      res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, headers);
      incoming.pipe(res);
      incoming.on('error', () => res.destroy());
      res.on('close', () => incoming.destroy());
    });
    outgoing.on('error', (error: Error) => {
      clearTimeout(headersTimer);
      this.#refuse(res, target.href, authority, error);
    });
    req.pipe(outgoing);
    req.on('error', () => outgoing.destroy());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#server.closeAllConnections();
    await closed;
  }
}

/** Starts a proxy on 127.0.0.1 (a free port). */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const proxy = new PolicyEgressProxy(options);
  await proxy.listen();
  return proxy;
}
