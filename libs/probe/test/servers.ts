/**
 * Real servers on loopback for the prober's tests, each on port 0, each counting the
 * connections it accepted (the proof that a refused check sent no packet).
 */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Requests received so far (HTTP servers only). */
  readonly requests: number;
  close(): Promise<void>;
}

function track(server: Server | NetServer, host: string): Promise<TestServer> {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', () => {
    requests++;
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        get connections() {
          return connections;
        },
        get requests() {
          return requests;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** An HTTP server on `host` (default 127.0.0.1). */
export function startHttp(handler: RequestListener, host = '127.0.0.1'): Promise<TestServer> {
  return track(createHttpServer(handler), host);
}

/** An HTTPS server with the given PEM key and certificate. */
export function startHttps(
  key: string,
  cert: string,
  handler: RequestListener,
  host = '127.0.0.1',
): Promise<TestServer> {
  return track(createHttpsServer({ key, cert }, handler), host);
}

/** A raw TCP server: the test decides what (if anything) each connection hears. */
export function startTcp(onSocket: (socket: Socket) => void, host = '127.0.0.1'): Promise<TestServer> {
  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return track(server, host);
}

/** A loopback port where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = await startTcp(() => undefined);
  const port = server.port;
  await server.close();
  return port;
}
