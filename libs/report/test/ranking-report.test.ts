/**
 * The ranking report rendered in Debian's Chromium (playwright-core, the system browser):
 * the table's rows and their order, one curve per top hoster, the deadline line, and no
 * URL anywhere on the page. The screenshot (REPORT_SCREENSHOT=path) is for people.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemovalStatsGroup, SurvivalPoint } from '@tdm/core';
import { kaplanMeier } from '@tdm/survival';
import { rankGroups, renderRankingReport } from '@tdm/report';

const CHROMIUM = '/usr/bin/chromium';
// As the browser prober runs it: as root in a container the sandbox cannot start; no GPU.

function group(key: string | null, items: number, share: number, median: number | null): RemovalStatsGroup {
  return {
    key,
    items,
    removed: Math.round(items * share),
    open: items - Math.round(items * share),
    reappeared: 0,
    goneBeforeFirstCheck: 1,
    removedWithin: { '24h': share },
    removedWithinBounds: { '24h': [share, Math.min(1, share + 0.02)] },
    medianSeconds: median,
    p90Seconds: median === null ? null : median * 3,
    medianCi95: [median === null ? null : median * 0.8, median === null ? null : median * 1.3],
    deadline: { met: Math.round(items * share), missed: 2, open: 0, overdue: 3 },
  };
}

/** A curve from exponential-ish removal times, so the plot has real steps. */
function curve(scaleHours: number, n: number): SurvivalPoint[] {
  const observations = Array.from({ length: n }, (_, i) => ({
    time: -Math.log(1 - (i + 0.5) / n) * scaleHours * 3600,
    event: i % 7 !== 0,
  }));
  return kaplanMeier(observations).points;
}

const GROUPS = [
  group('Slow Hosting B.V.', 400, 0.21, 40 * 3600),
  group('Quick Cloud', 900, 0.93, 3 * 3600),
  group(null, 50, 0.5, 24 * 3600),
  group('Middle Net', 300, 0.62, 15 * 3600),
  group('Tiny Host <script>', 20, 0.4, null),
];

describe('the ranking report in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is installed`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const html = renderRankingReport({
    groupBy: 'hoster',
    generatedAt: new Date('2026-02-01T12:00:00Z'),
    noticeSince: new Date('2026-01-01T00:00:00Z'),
    noticeUntil: new Date('2026-02-01T00:00:00Z'),
    deadlineLabel: '24h',
    deadlineSeconds: 86400,
    groups: GROUPS,
    curves: new Map([
      [JSON.stringify('Quick Cloud'), curve(4, 300)],
      [JSON.stringify('Slow Hosting B.V.'), curve(60, 300)],
      [JSON.stringify('Middle Net'), curve(20, 300)],
      [JSON.stringify(null), curve(24, 50)],
    ]),
    topCurves: 4,
    sources: ['hotline-nl', 'regulator'],
    attribution: 'operator hoster table; ASN dataset 2026-01',
    checkGrid: 'every 15 min for 24 h, then hourly',
  });

  it('ranks by the share removed within the deadline, one curve per top hoster, no URL', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, viewport: { width: 1000, height: 1400 } });
    // Every request the page would make (it must make none) is refused and counted.
    let requests = 0;
    await page.route('**/*', async (route) => {
      requests += 1;
      await route.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    const names = await page.$$eval('#ranking tbody tr td:nth-child(2)', (cells) =>
      cells.map((cell) => cell.textContent ?? ''),
    );
    expect(names).toEqual([
      'Quick Cloud',
      'Middle Net',
      '(unattributed)',
      'Tiny Host <script>',
      'Slow Hosting B.V.',
    ]);
    expect(names).toEqual(rankGroups(GROUPS, '24h').map((g) => (g.key === null ? '(unattributed)' : g.key)));
    const firstRow = await page.$eval('#ranking tbody tr', (row) => row.textContent ?? '');
    expect(firstRow).toContain('93.0%');
    const curves = await page.$$eval('svg path.curve', (paths) =>
      paths.map((p) => p.getAttribute('data-name')),
    );
    expect(curves).toEqual(['Quick Cloud', 'Slow Hosting B.V.', 'Middle Net', '(unattributed)']);
    expect(await page.$$eval('svg line.deadline', (lines) => lines.length)).toBe(1);
    const text = await page.innerText('body');
    expect(text).not.toMatch(/https?:|www\.|:\/\//i);
    expect(html).not.toMatch(/https?:|www\.|:\/\//i);
    expect(html).not.toMatch(/<script/i);
    expect(requests).toBe(0);
    const screenshot = process.env['REPORT_SCREENSHOT'];
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    await page.close();
  });
});
