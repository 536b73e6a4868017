/**
 * The peer: Crawlee's HttpCrawler doing the same work (GET, SHA-256 of the body,
 * classify), in its own process, with in-memory storage only. Names resolve through the
 * same static host map, handed to got-scraping as its `dnsLookup`, so it sends nothing
 * beyond loopback. Concurrency is pinned (min = max) to the other contenders' value, so
 * its autoscaler cannot make it look slower than it is.
 */
import { createHash } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { Configuration, HttpCrawler, LogLevel, log } from '@crawlee/http';
import { classify } from './classify.js';
import { serve } from './ipc.js';
import { buildPlan, planUrl, type ConnectionMode, type PlanParams } from './web-plan.js';
import { Window, type WindowResult } from './window.js';

log.setLevel(LogLevel.OFF);

const params = JSON.parse(process.argv[2] ?? '{}') as PlanParams;
const port = Number(process.argv[3]);
const plan = buildPlan(params);
let round = 0;

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

async function run(
  mode: ConnectionMode,
  concurrency: number,
  warmupMs: number,
  windowMs: number,
  requests: number,
): Promise<WindowResult> {
  round++;
  const lookup = mapLookup(plan.hostMap[mode]);
  const config = new Configuration({ persistStorage: false, purgeOnStart: true });
  let window: Window | null = null;
  const crawler = new HttpCrawler(
    {
      minConcurrency: concurrency,
      maxConcurrency: concurrency,
      maxRequestRetries: 0,
      requestHandlerTimeoutSecs: 10,
      navigationTimeoutSecs: 10,
      additionalMimeTypes: ['application/octet-stream', 'text/plain'],
      ignoreHttpErrorStatusCodes: [404],
      statusMessageLoggingInterval: 3600,
      preNavigationHooks: [
        (_context, gotOptions) => {
          gotOptions.dnsLookup = lookup;
        },
      ],
      requestHandler: async ({ request, response, body }) => {
        const expected = (request.userData as { expected: string }).expected;
        const status = response.statusCode ?? null;
        const sha =
          status !== null && status >= 200 && status < 300
            ? createHash('sha256')
                .update(body as Buffer)
                .digest('hex')
            : null;
        window?.record(classify(status, sha, expected));
      },
      failedRequestHandler: async () => {
        window?.record('error');
      },
    },
    config,
  );
  const list = [];
  for (let i = 0; i < requests; i++) {
    const entry = plan.urls[i % plan.urls.length]!;
    list.push({
      url: planUrl(entry, port),
      uniqueKey: `${round}:${i}`,
      userData: { expected: plan.bodies[entry.body]!.sha256 },
    });
  }
  // Queued before the clock starts: filling the queue is set-up, not crawling.
  await crawler.addRequests(list, { waitForAllRequestsToBeAdded: true });
  window = new Window(warmupMs, windowMs);
  const stopAt = setTimeout(() => crawler.stop('bench window over'), warmupMs + windowMs);
  // A bounded run: stop() above, or the queue runs dry; the hard cap kills a hang.
  const hardCap = setTimeout(() => void crawler.teardown(), warmupMs + windowMs + 30_000);
  try {
    await crawler.run();
  } finally {
    clearTimeout(stopAt);
    clearTimeout(hardCap);
  }
  const result = window.result();
  await crawler.teardown().catch(() => undefined);
  return result;
}

serve(async (request) => {
  if (request['type'] !== 'run') throw new Error(`unknown request ${String(request['type'])}`);
  return await run(
    request['mode'] as ConnectionMode,
    Number(request['concurrency']),
    Number(request['warmupMs']),
    Number(request['windowMs']),
    Number(request['requests']),
  );
});
process.send?.({ ready: true });
