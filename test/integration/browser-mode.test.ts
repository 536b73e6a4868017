/**
 * `tdm up` (the built CLI, embedded nats-server and PGlite) with one `mode: "browser"`
 * report and one http report against the loopback fixture web. The browser report's
 * page shows its image only once JavaScript ran, so only the browser crawler (Chromium,
 * started by `tdm up` because the executable exists) can see it online. Then the image
 * is removed from the server: the browser item is confirmed offline as
 * `content_changed`, while the http item stays online.
 *
 * Needs the build (`npx tsc --build`) and the system Chromium (TDM_CHROMIUM_PATH).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBody, placeholderPng, sha256Hex, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { freePort, getJson, pollUntil, startTdmUp, submitReports, type TdmUp } from '@tdm/test-helpers';
import type { CheckLogEntry, ItemView } from '@tdm/core';

const CHROMIUM = process.env['TDM_CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const HOST = 'gallery.example.test';
// Chromium hands over an image's bytes only when it decodes: a valid PNG, made distinct
// by bytes after its end (decoders ignore them).
const IMAGE = Buffer.concat([placeholderPng(), Buffer.from('the reported picture')]);
const PAGE = `<!doctype html><html><body><p>gallery</p><script>
setTimeout(function () { var img = document.createElement('img'); img.src = '/pic.png'; document.body.appendChild(img); }, 300);
</script></body></html>`;
const HTTP_BODY = makeBody('http-item', 2000);

describe('tdm up: browser-mode and http-mode reports', () => {
  let web: FixtureWeb;
  let up: TdmUp;
  let browserItem = 0;
  let httpItem = 0;

  const item = (id: number): Promise<ItemView> => getJson<ItemView>(`${up.api}/v1/items/${id}`);
  const checks = (id: number): Promise<CheckLogEntry[]> =>
    getJson<CheckLogEntry[]>(`${up.api}/v1/items/${id}/checks`);

  /** Polls until `done` holds for the items (bounded), and returns their last views. */
  async function waitFor(done: (views: ItemView[]) => boolean, timeoutMs: number): Promise<ItemView[]> {
    const views = await pollUntil(async () => [await item(browserItem), await item(httpItem)], done, {
      timeoutMs,
      intervalMs: 250,
    });
    if (done(views)) return views;
    throw new Error(
      `not reached within ${timeoutMs} ms: ${JSON.stringify(views.map((v) => [v.mode, v.state, v.offlineReason, v.checks]))}\n${up.proc.output()}`,
    );
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set TDM_CHROMIUM_PATH)`);
    web = await startFixtureWeb({ addresses: ['127.0.0.1'] });
    web.set(HOST, '/page', {
      kind: 'body',
      body: Buffer.from(PAGE),
      contentType: 'text/html; charset=utf-8',
    });
    web.set(HOST, '/pic.png', { kind: 'body', body: IMAGE, contentType: 'image/png' });
    web.set(HOST, '/file.bin', { kind: 'body', body: HTTP_BODY });
    const deadDns = await freePort();
    up = await startTdmUp({
      TDM_CHECK_INTERVAL: '1s',
      TDM_CHECK_TIMEOUT: '10s',
      TDM_HOST_MAP: `${HOST}=127.0.0.1`,
      // Nothing listens there: no made-up name can reach a real resolver.
      TDM_DNS_SERVERS: `127.0.0.1:${deadDns}`,
      TDM_ALLOW_RANGES: '127.0.0.0/8',
      TDM_CHROMIUM_PATH: CHROMIUM,
    });
    const answers = await submitReports(up.api, [
      { url: web.url(HOST, '/page'), reportId: 'browser-1', mode: 'browser', sha256: sha256Hex(IMAGE) },
      { url: web.url(HOST, '/file.bin'), reportId: 'http-1', mode: 'http', sha256: sha256Hex(HTTP_BODY) },
    ]);
    browserItem = answers[0]?.itemId ?? 0;
    httpItem = answers[1]?.itemId ?? 0;
  }, 120_000);

  afterAll(async () => {
    await up?.close();
    await web?.close();
  });

  it('both items reach online; the browser item through Chromium, with the image hash', async () => {
    const [browser, http] = await waitFor((views) => views.every((view) => view.state === 'online'), 60_000);
    expect(browser?.mode).toBe('browser');
    expect(http?.mode).toBe('http');
    const log = await checks(browserItem);
    const online = log.filter((entry) => entry.outcome === 'online');
    expect(online.length).toBeGreaterThanOrEqual(1);
    expect(online[0]?.sha256).toBe(sha256Hex(IMAGE));
    expect(online[0]?.httpStatus).toBe(200);
    // The image was fetched (by the browser: the http crawler never reads the page).
    expect(web.requests(HOST, '/pic.png')).toBeGreaterThanOrEqual(1);
    const durations = log.map((entry) => entry.durationMs).sort((a, b) => a - b);
    console.log(
      `browser checks via tdm up: ${durations.length}, median ${durations[Math.floor(durations.length / 2)]} ms`,
    );
  }, 90_000);

  it('the image removed: the browser item is confirmed offline as content_changed, the http item stays online', async () => {
    web.remove(HOST, '/pic.png');
    const removedAt = Date.now();
    const [browser] = await waitFor((views) => views[0]?.state === 'offline', 60_000);
    expect(browser?.offlineReason).toBe('content_changed');
    expect(Date.parse(browser?.offlineAt ?? '')).toBeGreaterThanOrEqual(removedAt - 2000);
    expect(browser?.lastOnlineAt).not.toBeNull();
    const http = await item(httpItem);
    expect(http.state).toBe('online');
    const log = await checks(browserItem);
    expect(log.some((entry) => entry.outcome === 'offline' && entry.reason === 'content_changed')).toBe(true);
  }, 90_000);

  it('stops cleanly on SIGTERM (Chromium included)', async () => {
    await up.proc.stop();
    expect(up.proc.child.exitCode).toBe(0);
  }, 30_000);
});
