/**
 * The browser prober against real loopback servers and the system Chromium. The page's
 * image is inserted by JavaScript after a timeout, so only a JS-capable check sees it.
 * The servers count connections: a refused check must leave them at zero.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedHashes, ProbeResult } from '@tdm/core';
import {
  createBrowserProber,
  createHttpProber,
  type BrowserProber,
  type BrowserProberOptions,
} from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort, startHttp, type TestServer } from './servers.js';

const CHROMIUM = process.env['TDM_CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

// Chromium hands over the body of an image only when it decodes, so these are a valid
// 1x1 PNG; bytes after IEND are ignored by decoders, which makes distinct images.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const png = (tag: string): Buffer => Buffer.concat([PNG, Buffer.from(tag)]);
const IMAGE_V1 = png('the reported image, version 1');
const IMAGE_V2 = png('a different image, version 2');
const PLACEHOLDER = png('this image has been removed');
const OTHER_IMAGE = png('served from 127.0.0.2');

/** A page whose image only exists once its script has run (after a timeout). */
function jsImagePage(src: string, delayMs = 300): string {
  return `<!doctype html><html><head><title>t</title></head><body><p>gallery</p>
<script>setTimeout(function () { var img = document.createElement('img'); img.src = ${JSON.stringify(src)}; document.body.appendChild(img); }, ${delayMs});</script>
</body></html>`;
}

let image = IMAGE_V1;
let slowInFlight = 0;
let slowPeak = 0;
let swScriptRequests = 0;
let otherPort = 0;

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const html = (body: string): void => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  };
  switch (url.pathname) {
    case '/page':
      return html(jsImagePage('/img.gif'));
    case '/img.gif':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(image);
      return;
    case '/big-headers':
      // Past Node's 16 KiB default header limit, well within Chromium's 256 KiB.
      res.writeHead(200, { 'content-type': 'text/html', 'x-padding': 'p'.repeat(40_000) });
      res.end(jsImagePage('/img.gif'));
      return;
    case '/file.bin':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(IMAGE_V1);
      return;
    case '/placeholder-page':
      return html(jsImagePage('/ph.gif'));
    case '/ph.gif':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PLACEHOLDER);
      return;
    case '/missing-page':
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<p>gone</p>');
      return;
    case '/redirect':
      res.writeHead(302, { location: '/page' });
      res.end();
      return;
    case '/to-removed':
      res.writeHead(302, { location: '/static/removed.png' });
      res.end();
      return;
    case '/cross-page': {
      const other = `127.0.0.2:${otherPort}`;
      return html(`<!doctype html><body><link rel="preconnect" href="http://${other}"><iframe src="http://${other}/frame"></iframe><script>
fetch('http://${other}/fetch').catch(function () {});
try { new WebSocket('ws://${other}/ws'); } catch (e) {}
setTimeout(function () { var img = document.createElement('img'); img.src = 'http://${other}/other.png'; document.body.appendChild(img); }, 50);
</script></body>`);
    }
    case '/data-url-page':
      return html(`<!doctype html><body><script>
setTimeout(function () { var img = document.createElement('img'); img.src = 'data:image/png;base64,${IMAGE_V1.toString('base64')}'; document.body.appendChild(img); }, 200);
</script></body>`);
    case '/sw-page':
      return html(`<!doctype html><body><script>
if (navigator.serviceWorker) navigator.serviceWorker.register('/sw.js').catch(function () {});
setTimeout(function () { var img = document.createElement('img'); img.src = '/img.gif'; document.body.appendChild(img); }, 200);
</script></body>`);
    case '/sw.js':
      swScriptRequests++;
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end("self.addEventListener('fetch', function () {});");
      return;
    case '/slow-page':
      slowInFlight++;
      slowPeak = Math.max(slowPeak, slowInFlight);
      setTimeout(() => {
        slowInFlight--;
        html(jsImagePage('/img.gif', 10));
      }, 400);
      return;
    default:
      res.writeHead(404);
      res.end();
  }
}

let web: TestServer;
let other: TestServer;
let guardDns: string[];
let prober: BrowserProber;
const durations: number[] = [];

function browserOptions(overrides: Partial<BrowserProberOptions> = {}): BrowserProberOptions {
  return {
    ...loopbackOptions(guardDns, { checkTimeoutMs: 15_000, connectTimeoutMs: 2000, headersTimeoutMs: 5000 }),
    chromiumPath: CHROMIUM,
    placeholderSha256: [sha256(PLACEHOLDER)],
    settleMs: 600,
    ...overrides,
  };
}

async function check(
  url: string,
  expected: ExpectedHashes = {},
  using: BrowserProber = prober,
): Promise<ProbeResult> {
  const started = performance.now();
  const result = await using.probe(url, expected, { signal: new AbortController().signal });
  durations.push(performance.now() - started);
  return result;
}

/** Chromium processes that are direct children of this test process. */
function chromiumChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === process.pid && /chrom/i.test(name)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const site = (path: string): string => `http://site.test:${web.port}${path}`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set TDM_CHROMIUM_PATH)`);
  web = await startHttp(route);
  other = await startHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(OTHER_IMAGE);
  }, '127.0.0.2');
  otherPort = other.port;
  guardDns = [`127.0.0.1:${await closedPort()}`];
  prober = createBrowserProber(browserOptions());
});

afterAll(async () => {
  await prober?.close();
  // Every prober of this file is closed: none of its Chromium processes may be left.
  for (let i = 0; i < 40 && chromiumChildren().length > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(chromiumChildren()).toEqual([]);
  await Promise.all([web, other].filter(Boolean).map((server) => server.close()));
  if (durations.length > 0) {
    const sorted = [...durations].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    console.log(
      `browser checks: ${durations.length}, median ${median.toFixed(0)} ms, max ${(sorted[sorted.length - 1] ?? 0).toFixed(0)} ms`,
    );
  }
});

describe('browser prober: what the page shows', () => {
  it('sees an image that only JavaScript inserts: online with its hash (the HTTP prober cannot)', async () => {
    image = IMAGE_V1;
    const result = await check(site('/page'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({
      outcome: 'online',
      reason: null,
      httpStatus: 200,
      ip: '127.0.0.1',
      sha256: sha256(IMAGE_V1),
    });
    expect(result.bytes).toBe(IMAGE_V1.length);
    expect(result.contentType).toMatch(/^text\/html/);
    expect(result.finalUrl).toBe(site('/page'));

    const http = createHttpProber(loopbackOptions(guardDns));
    try {
      const plain = await http.probe(site('/page'), { sha256: sha256(IMAGE_V1) });
      expect(plain.reason).toBe('content_changed');
    } finally {
      await http.close();
    }
  });

  it('a page with 40 KiB of response headers loads through the egress proxy', async () => {
    const result = await check(site('/big-headers'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'online', httpStatus: 200 });
  });

  it('an image URL opened directly is hashed as the document', async () => {
    const result = await check(site('/img.gif'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'online', sha256: sha256(IMAGE_V1), contentType: 'image/png' });
  });

  it('a file Chromium would download (not display): online by status, "not verified", never content_changed', async () => {
    const result = await check(site('/file.bin'), { sha256: sha256(IMAGE_V1) });
    // Chromium hands a download's bytes to no one (downloads are refused): nothing to compare.
    expect(result).toMatchObject({ outcome: 'online', reason: null, httpStatus: 200, sha256: null });
    expect(result.error).toMatch(/not verified/);
  });

  it('checks SHA-1-less reports by MD5 too', async () => {
    image = IMAGE_V1;
    const result = await check(site('/page'), { md5: md5(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'online', md5: md5(IMAGE_V1) });
  });

  it('the image replaced: content_changed', async () => {
    image = IMAGE_V2;
    try {
      const result = await check(site('/page'), { sha256: sha256(IMAGE_V1) });
      expect(result).toMatchObject({ outcome: 'offline', reason: 'content_changed', httpStatus: 200 });
      expect(result.sha256).toBe(sha256(IMAGE_V2));
    } finally {
      image = IMAGE_V1;
    }
  });

  it('no expected hash: online on a 2xx document', async () => {
    const result = await check(site('/page'));
    expect(result).toMatchObject({ outcome: 'online', reason: null, httpStatus: 200 });
  });

  it('page 404: http_404', async () => {
    const result = await check(site('/missing-page'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'offline', reason: 'http_404', httpStatus: 404 });
  });

  it('the image is a known placeholder: placeholder', async () => {
    const result = await check(site('/placeholder-page'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'offline', reason: 'placeholder', sha256: sha256(PLACEHOLDER) });
  });

  it('a redirect is followed and recorded', async () => {
    const result = await check(site('/redirect'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'online', finalUrl: site('/page') });
    expect(result.redirects).toEqual([{ url: site('/redirect'), status: 302, ip: '127.0.0.1' }]);
  });

  it('a redirect to a "removed" image: placeholder', async () => {
    const result = await check(site('/to-removed'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'offline', reason: 'placeholder' });
  });

  it('connection refused: connection_refused', async () => {
    const port = await closedPort();
    const result = await check(`http://site.test:${port}/page`);
    expect(result).toMatchObject({ outcome: 'offline', reason: 'connection_refused' });
  });

  it('a name our DNS cannot answer: error resolver_unavailable, never a removal', async () => {
    const result = await check(`http://unknown.test:${web.port}/page`);
    expect(result.outcome).toBe('error');
    expect(result.reason).toBe('resolver_unavailable');
  });

  it('an image a script builds from a data: URL is hashed from the element', async () => {
    const result = await check(site('/data-url-page'), { sha256: sha256(IMAGE_V1) });
    expect(result).toMatchObject({ outcome: 'online', sha256: sha256(IMAGE_V1) });
  });

  it('bodies past maxBodyBytes are not hashed: online, "not verified", never content_changed', async () => {
    const small = createBrowserProber(browserOptions({ maxBodyBytes: 40 }));
    try {
      const result = await check(site('/page'), { sha256: sha256(IMAGE_V1) }, small);
      expect(result).toMatchObject({ outcome: 'online', reason: null, sha256: null });
      expect(result.error).toMatch(/not verified/);
    } finally {
      await small.close();
    }
  });

  it('a service worker registration does not run', async () => {
    swScriptRequests = 0;
    const result = await check(site('/sw-page'), { sha256: sha256(IMAGE_V1) });
    expect(result.outcome).toBe('online');
    expect(swScriptRequests).toBe(0);
  });
});

describe('browser prober: network policy', () => {
  it('DEFAULT policy: a loopback page is blocked before any packet (by IP literal and by name)', async () => {
    const strict = createBrowserProber(browserOptions({ allowRanges: [] }));
    try {
      const before = web.connections;
      const byIp = await check(`http://127.0.0.1:${web.port}/page`, {}, strict);
      const byName = await check(site('/page'), {}, strict);
      const mapped = await check(`http://[::ffff:127.0.0.1]:${web.port}/page`, {}, strict);
      const https = await check(`https://127.0.0.1:${web.port}/page`, {}, strict);
      for (const result of [byIp, byName, mapped, https])
        expect(result).toMatchObject({ outcome: 'error', reason: 'blocked' });
      expect(web.connections - before).toBe(0);
      expect(strict.stats().guardTargets.filter((target) => /^(127\.|site\.test|::)/.test(target))).toEqual(
        [],
      );
    } finally {
      await strict.close();
    }
  });

  it('allowRanges 127.0.0.1/32: an image from 127.0.0.2 is refused, and its server sees nothing', async () => {
    const narrow = createBrowserProber(browserOptions({ allowRanges: ['127.0.0.1/32'] }));
    try {
      const result = await check(site('/cross-page'), { sha256: sha256(OTHER_IMAGE) }, narrow);
      // The expected image sits behind a refused address: we cannot tell, so `error`.
      expect(result).toMatchObject({ outcome: 'error', reason: 'blocked', httpStatus: 200 });
      expect(result.error).toMatch(/refused by the network policy/);
      // Not the image, nor an iframe, fetch(), WebSocket or preconnect.
      expect(other.connections).toBe(0);
      expect(other.requests).toBe(0);
      expect(narrow.stats().guardTargets.filter((target) => target.startsWith('127.'))).toEqual([]);
    } finally {
      await narrow.close();
    }
  });
});

describe('browser prober: pages and lifecycle', () => {
  it('several checks in parallel stay within maxPages', async () => {
    const two = createBrowserProber(browserOptions({ maxPages: 2 }));
    try {
      slowPeak = 0;
      const results = await Promise.all(
        Array.from({ length: 6 }, () => check(site('/slow-page'), { sha256: sha256(IMAGE_V1) }, two)),
      );
      for (const result of results) expect(result.outcome).toBe('online');
      expect(slowPeak).toBeLessThanOrEqual(2);
      expect(two.stats().peakPages).toBeLessThanOrEqual(2);
      expect(two.stats().peakPages).toBeGreaterThanOrEqual(1);
      expect(two.stats().launches).toBe(1);
    } finally {
      await two.close();
    }
  });

  it('Chromium killed: the next check launches a new one', async () => {
    const crashy = createBrowserProber(browserOptions());
    const others = new Set(chromiumChildren());
    try {
      expect((await check(site('/page'), { sha256: sha256(IMAGE_V1) }, crashy)).outcome).toBe('online');
      const children = chromiumChildren().filter((pid) => !others.has(pid));
      expect(children.length).toBe(1);
      // Only the Chromium this test process started (its direct children).
      for (const pid of children) process.kill(pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await check(site('/page'), { sha256: sha256(IMAGE_V1) }, crashy);
      expect(after.outcome).toBe('online');
      expect(crashy.stats().launches).toBe(2);
    } finally {
      await crashy.close();
    }
  });

  it('close() ends running checks as worker_shutdown, and later checks do not start', async () => {
    const closing = createBrowserProber(browserOptions());
    const running = closing.probe(site('/slow-page'), {});
    await new Promise((resolve) => setTimeout(resolve, 150));
    await closing.close();
    expect(await running).toMatchObject({ outcome: 'error', reason: 'worker_shutdown' });
    expect(await closing.probe(site('/page'), {})).toMatchObject({
      outcome: 'error',
      reason: 'worker_shutdown',
    });
  });

  it('a missing Chromium is an error check, never a removal', async () => {
    const broken = createBrowserProber(browserOptions({ chromiumPath: '/nonexistent/chromium' }));
    try {
      const result = await check(site('/page'), {}, broken);
      expect(result.outcome).toBe('error');
      expect(result.reason).toBe('internal');
      // The note tells the operator which setting to fix.
      expect(result.error).toBe(
        'browser: ConfigError: TDM_ERR_CONFIG: Chromium not found at /nonexistent/chromium (set TDM_CHROMIUM_PATH)',
      );
    } finally {
      await broken.close();
    }
  });
});
