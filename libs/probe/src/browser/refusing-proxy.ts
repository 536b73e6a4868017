/**
 * The browser-wide refusing proxy: Chromium's `--proxy-server`, behind every check's own
 * egress proxy (egress-proxy.ts). It answers every request with 403 and connects nowhere.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { authorityOf, listenOnLoopback, parseConnectTarget } from './proxy-targets.js';

/** The refusing proxy's record: how many requests it refused, and to where (the newest 100). */
export interface RefusingProxy {
  url: string;
  readonly hits: number;
  /** `host:port` of the refused requests, newest last. */
  readonly targets: readonly string[];
  close(): Promise<void>;
}

/**
 * The browser-wide proxy (Chromium's `--proxy-server`): every check's context has its own
 * egress proxy, so no page request should ever arrive here. What does arrive is
 * Chromium's own background traffic (measured with Chromium 156: a component-update
 * check to update.googleapis.com and account look-ups at accounts.google.com, despite the
 * switches against them): refused here, with no connection to any target.
 */
export async function startRefusingProxy(): Promise<RefusingProxy> {
  let hits = 0;
  const targets: string[] = [];
  const note = (target: string | null): void => {
    hits++;
    targets.push(target ?? 'unknown');
    if (targets.length > 100) targets.shift();
  };
  const sockets = new Set<Duplex>();
  const server = createServer((req, res) => {
    note(authorityOf(req.url ?? ''));
    res.writeHead(403, { 'content-length': '0', connection: 'close' }).end();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const target = parseConnectTarget(req.url);
    note(target ? `${target.host}:${target.port}` : null);
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.destroy());
  server.on('clientError', (_error: Error, socket: Duplex) => socket.destroy());
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    get targets() {
      return targets;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
