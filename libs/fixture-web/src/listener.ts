import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One address's HTTP listener. It can be closed and opened again on the same port (a host
 * going down and coming back); while closed, connections to it are refused by the kernel.
 */
export class Listener {
  readonly address: string;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  readonly #handler: Handler;
  readonly #onConnection: () => void;

  constructor(address: string, handler: Handler, onConnection: () => void) {
    this.address = address;
    this.#handler = handler;
    this.#onConnection = onConnection;
  }

  get isOpen(): boolean {
    return this.#server !== null;
  }

  /** Starts listening; resolves with the port (the kernel's pick when `port` is 0). */
  async open(port: number): Promise<number> {
    if (this.#server) throw new Error(`listener on ${this.address} is already open`);
    // A fresh server each time: a closed http.Server keeps state (timers, connection lists) we do not want back.
    const server = createServer({ keepAliveTimeout: 5_000 }, this.#handler);
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      this.#onConnection();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.address, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  /** Stops accepting and destroys every open connection, stalled ones included. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    server.closeAllConnections();
    await closed;
  }
}
