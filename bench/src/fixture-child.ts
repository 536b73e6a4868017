/**
 * The fixture web in its own process (so its CPU is measured apart from the contenders'):
 * the same plan served twice on one port — on the keep-alive addresses by ordinary
 * listeners, and on the fresh addresses by listeners that close every connection after
 * one response.
 *
 * Why the patch of `http.createServer`: @tdm/fixture-web does not expose its servers, and
 * `maxRequestsPerSocket = 1` is the one switch that makes Node's server answer
 * `Connection: close` and hang up. It is set only on the servers created for the fresh
 * addresses, in this process only. The keep-alive servers get a 30 s idle timeout instead
 * of the library's 5 s: undici keeps an idle connection for the advertised timeout minus
 * 2 s, and with 1,200 hosts a slow contender revisits a host less often than every 3 s,
 * so with 5 s "keep-alive" would quietly turn into a fresh connection per check.
 */
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { serve } from './ipc.js';
import { buildPlan, type PlanParams } from './web-plan.js';

const KEEP_ALIVE_TIMEOUT_MS = 30_000;
let closeEachConnection = false;
const originalCreateServer = http.createServer;
http.createServer = ((...args: Parameters<typeof http.createServer>) => {
  const server = originalCreateServer(...args);
  if (closeEachConnection) server.maxRequestsPerSocket = 1;
  else server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}) as typeof http.createServer;
syncBuiltinESMExports();

const { startFixtureWeb, makeBody } = await import('@tdm/fixture-web');

const params = JSON.parse(process.argv[2] ?? '{}') as PlanParams;
const plan = buildPlan(params);
const bodies = plan.bodies.map((b) => makeBody(b.seed, b.size));

const keepalive = await startFixtureWeb({ addresses: plan.addresses.keepalive, logLimit: 1 });
closeEachConnection = true;
let fresh: Awaited<ReturnType<typeof startFixtureWeb>> | null = null;
// The fresh listeners take the same port on other addresses; a clash is unlikely, but
// then the whole web starts again on a new port (bounded).
let port = keepalive.port;
for (let attempt = 0; attempt < 5 && fresh === null; attempt++) {
  try {
    fresh = await startFixtureWeb({ addresses: plan.addresses.fresh, port, logLimit: 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 4) throw error;
    port = 0;
  }
}
if (fresh === null || fresh.port !== keepalive.port)
  throw new Error('fixture: the two webs could not share one port');

for (const web of [keepalive, fresh]) {
  for (const entry of plan.urls) {
    if (!entry.notFound) web.set(entry.host, entry.path, { kind: 'body', body: bodies[entry.body]! });
  }
}

const webs = [keepalive, fresh];
serve(async (request) => {
  switch (request['type']) {
    case 'requests':
      return webs.reduce((sum, web) => sum + web.requests(), 0);
    case 'connections':
      return { keepalive: keepalive.connections(), fresh: fresh.connections() };
    case 'close':
      await Promise.all(webs.map((web) => web.close()));
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown request ${String(request['type'])}`);
  }
});
process.send?.({ ready: true, port: keepalive.port });
