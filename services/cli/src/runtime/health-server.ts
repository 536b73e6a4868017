/**
 * /metrics, /healthz and /readyz for the services that have no API of their own
 * (scheduler, crawler). The results service serves the same paths from its Fastify app.
 */
import { createServer, type Server } from 'node:http';
import type { Metrics } from '@tdm/telemetry';
import { parseListen } from './listen.js';

export interface HealthServer {
  server: Server;
  close(): Promise<void>;
}

export async function startHealthServer(
  listen: string,
  metrics: Metrics,
  ready: () => Promise<boolean> | boolean,
): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async (): Promise<void> => {
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
      } else if (path === '/readyz') {
        const ok = await ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ok ? 'ready' : 'not ready' }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"TDM_ERR_NOT_FOUND","message":"no such path"}}');
      }
    };
    answer().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
