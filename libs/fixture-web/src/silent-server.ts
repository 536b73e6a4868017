import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A TCP server that accepts connections and never sends a byte. See {@link startSilentServer}. */
export interface SilentServer {
  readonly address: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Bytes received so far (a request line, a TLS ClientHello, …), all dropped. */
  bytesReceived(): number;
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a server that accepts and says nothing: not even an HTTP error or a TLS alert.
 * On an `http://` URL the client waits for a response head; on an `https://` URL its TLS
 * handshake never completes (the ClientHello is read and dropped). The fixture web's own
 * `stall` behaviour cannot do the second: its HTTP parser would answer a ClientHello with
 * 400. Connections stay open until the client gives up or close() is called.
 */
export async function startSilentServer(
  options: { address?: string; port?: number } = {},
): Promise<SilentServer> {
  const address = options.address ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let connections = 0;
  let bytes = 0;
  let closed = false;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    // A client that resets is normal here; nothing to report.
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port: options.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const info = server.address();
  const port = typeof info === 'object' && info ? info.port : 0;
  return {
    address,
    port,
    connections: () => connections,
    bytesReceived: () => bytes,
    close: async () => {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await done;
    },
  };
}
