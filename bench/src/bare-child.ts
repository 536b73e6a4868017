/**
 * The ceiling: a bare undici loop in its own process. No NATS, no database, no
 * politeness: GET, stream the body through SHA-256, classify. `concurrency` checks at a
 * time over the plan's URLs, names resolved through the static host map.
 */
import { createHash } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { classify } from './classify.js';
import { serve } from './ipc.js';
import { buildPlan, planUrl, type ConnectionMode, type PlanParams } from './web-plan.js';
import { Window, type WindowResult } from './window.js';

const params = JSON.parse(process.argv[2] ?? '{}') as PlanParams;
const port = Number(process.argv[3]);
const plan = buildPlan(params);
const urls = plan.urls.map((entry) => {
  const url = new URL(planUrl(entry, port));
  return { origin: url.origin, path: url.pathname, expected: plan.bodies[entry.body]!.sha256 };
});

function mapLookup(map: Record<string, string>): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const address = map[hostname.toLowerCase()];
    if (address === undefined) {
      callback(Object.assign(new Error(`not in the host map: ${hostname}`), { code: 'ENOTFOUND' }));
      return;
    }
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  }) as unknown as LookupFunction;
}

async function check(
  agent: Agent,
  origin: string,
  path: string,
  expected: string,
  fresh: boolean,
): Promise<ReturnType<typeof classify>> {
  try {
    const response = await agent.request({
      origin,
      path,
      method: 'GET',
      reset: fresh,
      headers: { 'user-agent': 'tdm-bench-bare/1', 'accept-encoding': 'identity' },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    if (response.statusCode < 200 || response.statusCode >= 300) {
      await response.body.dump();
      return classify(response.statusCode, null, expected);
    }
    const hash = createHash('sha256');
    for await (const chunk of response.body) hash.update(chunk as Buffer);
    return classify(response.statusCode, hash.digest('hex'), expected);
  } catch {
    return 'error';
  }
}

async function run(
  mode: ConnectionMode,
  concurrency: number,
  warmupMs: number,
  windowMs: number,
): Promise<WindowResult> {
  const agent = new Agent({ connect: { lookup: mapLookup(plan.hostMap[mode]) }, connections: null });
  const window = new Window(warmupMs, windowMs);
  let next = Math.floor(Math.random() * urls.length);
  const worker = async (): Promise<void> => {
    // Bounded by the window's end (and each check by its timeouts).
    while (performance.now() < window.endAt) {
      const target = urls[next++ % urls.length]!;
      window.record(await check(agent, target.origin, target.path, target.expected, mode === 'fresh'));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const result = window.result();
  await agent.close();
  return result;
}

serve(async (request) => {
  if (request['type'] !== 'run') throw new Error(`unknown request ${String(request['type'])}`);
  return await run(
    request['mode'] as ConnectionMode,
    Number(request['concurrency']),
    Number(request['warmupMs']),
    Number(request['windowMs']),
  );
});
process.send?.({ ready: true });
