/**
 * /readyz tells the truth about NATS: each service (results, scheduler, crawler, as real
 * processes) answers 503 while its NATS connection is down and 200 again once it is back,
 * so that Kubernetes takes a cut-off pod out of the Service instead of routing to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  freePort,
  startNatsServer,
  startTdm,
  waitForHttp,
  type NatsServerHandle,
  type TdmProcess,
  type TestDatabase,
} from '@tdm/test-helpers';

let nats: NatsServerHandle;
let db: TestDatabase;
const procs: TdmProcess[] = [];
const readyz: Record<string, string> = {};

beforeAll(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase('tdm_readiness');
  const env = { NATS_URL: nats.url, DATABASE_URL: db.url };
  const migrate = startTdm(['migrate'], env);
  await new Promise((resolve) => migrate.child.once('exit', resolve));
  const apiPort = await freePort();
  const results = startTdm(['results'], { ...env, TDM_LISTEN: `127.0.0.1:${apiPort}` });
  readyz['results'] = `http://127.0.0.1:${apiPort}/readyz`;
  procs.push(results);
  for (const service of ['scheduler', 'crawler']) {
    const port = await freePort();
    procs.push(startTdm([service], { ...env, TDM_METRICS_LISTEN: `127.0.0.1:${port}` }));
    readyz[service] = `http://127.0.0.1:${port}/readyz`;
  }
  await Promise.all(Object.values(readyz).map((url, i) => waitForHttp(url, procs[i]!, 60_000)));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await nats?.stop();
  await db?.drop();
});

async function status(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** Polls every service's /readyz until each has answered `want`; returns ms per service. */
async function untilAll(want: number, timeoutMs: number): Promise<Record<string, number>> {
  const started = Date.now();
  const took: Record<string, number> = {};
  while (Date.now() - started < timeoutMs && Object.keys(took).length < Object.keys(readyz).length) {
    for (const [service, url] of Object.entries(readyz)) {
      if (took[service] === undefined && (await status(url)) === want) took[service] = Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return took;
}

describe('/readyz while NATS is down', () => {
  it('is 503 on every service within seconds of NATS going away, and 200 again once it is back', async () => {
    const services = Object.keys(readyz).sort();
    await nats.kill();
    const down = await untilAll(503, 15_000);
    expect(Object.keys(down).sort(), procs.map((p) => p.output()).join('\n')).toEqual(services);
    await nats.restart();
    const back = await untilAll(200, 30_000);
    expect(Object.keys(back).sort(), procs.map((p) => p.output()).join('\n')).toEqual(services);
    console.log(
      `[readiness] 503 after NATS kill (ms): ${JSON.stringify(down)}; 200 after restart: ${JSON.stringify(back)}`,
    );
  });
});
