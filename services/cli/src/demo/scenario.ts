/**
 * The demo's small web: pages on three made-up hosts that disappear one by one, each in
 * a different way, and a few that must NOT count as removed. Each step records the true
 * time of the change, so the demo can show that lastOnlineAt ≤ true removal ≤ offlineAt.
 */
import { makeBody, sha256Hex, type FixtureWeb } from '@tdm/fixture-web';

/** Host name → loopback address, given to the crawler as its static host map. */
export const DEMO_HOSTS: Record<string, string> = {
  'img.hoster-a.test': '127.0.0.1',
  'cdn.hoster-b.test': '127.0.0.1',
  'files.hoster-c.test': '127.0.0.2',
};

export interface DemoPage {
  host: string;
  path: string;
  /** What happens to the page, for the table. */
  story: string;
  /** Reason we expect once the removal is confirmed; null when it must stay online. */
  expectedReason: string | null;
  /** Seconds after the start at which the change happens. */
  changeAtSeconds: number | null;
  /** Filled when the change happens. */
  changedAt: Date | null;
  sha256: string;
}

interface Step {
  atSeconds: number;
  apply: (web: FixtureWeb) => void | Promise<void>;
  pages: DemoPage[];
}

const SIZE = 12_000;

function page(
  host: string,
  path: string,
  story: string,
  expectedReason: string | null,
  changeAtSeconds: number | null,
): DemoPage {
  return {
    host,
    path,
    story,
    expectedReason,
    changeAtSeconds,
    changedAt: null,
    sha256: sha256Hex(makeBody(`${host}${path}`, SIZE)),
  };
}

export interface DemoScenario {
  pages: DemoPage[];
  steps: Step[];
  /** Serves every page as first reported. */
  install(web: FixtureWeb): void;
}

export function demoScenario(): DemoScenario {
  const A = 'img.hoster-a.test';
  const B = 'cdn.hoster-b.test';
  const C = 'files.hoster-c.test';
  const pages = {
    gone404: page(A, '/i/1001.jpg', 'deleted: 404', 'http_404', 8),
    gone410: page(A, '/i/1002.jpg', 'deleted: 410 Gone', 'http_410', 14),
    legal451: page(B, '/v/2001.jpg', 'blocked: 451', 'http_451', 20),
    changed: page(B, '/v/2002.jpg', 'replaced by another file', 'content_changed', 26),
    placeholder: page(B, '/v/2003.jpg', 'redirected to a "removed" image', 'placeholder', 32),
    hostGone1: page(C, '/f/3001.jpg', 'server switched off: refused', 'connection_refused', 18),
    hostGone2: page(C, '/f/3002.jpg', 'server switched off: refused', 'connection_refused', 18),
    flaky: page(A, '/i/1003.jpg', '503 for 8 s, then back (transient)', null, 10),
    restored: page(A, '/i/1004.jpg', 'deleted at 12 s, restored at 30 s', null, 12),
    stays1: page(A, '/i/1005.jpg', 'never removed', null, null),
    stays2: page(B, '/v/2004.jpg', 'never removed', null, null),
    late404: page(A, '/i/1006.jpg', 'deleted late: 404', 'http_404', 40),
  };
  const body = (p: DemoPage): Buffer => makeBody(`${p.host}${p.path}`, SIZE);
  const steps: Step[] = [
    {
      atSeconds: 8,
      pages: [pages.gone404],
      apply: (web) => web.set(A, pages.gone404.path, { kind: 'status', status: 404 }),
    },
    {
      atSeconds: 10,
      pages: [pages.flaky],
      apply: (web) => web.set(A, pages.flaky.path, { kind: 'status', status: 503 }),
    },
    {
      atSeconds: 12,
      pages: [pages.restored],
      apply: (web) => web.set(A, pages.restored.path, { kind: 'status', status: 404 }),
    },
    {
      atSeconds: 14,
      pages: [pages.gone410],
      apply: (web) => web.set(A, pages.gone410.path, { kind: 'status', status: 410 }),
    },
    {
      atSeconds: 18,
      pages: [pages.flaky, pages.hostGone1, pages.hostGone2],
      apply: async (web) => {
        web.set(A, pages.flaky.path, { kind: 'body', body: body(pages.flaky), contentType: 'image/jpeg' });
        await web.setHostDown(DEMO_HOSTS[C] as string, true);
      },
    },
    {
      atSeconds: 20,
      pages: [pages.legal451],
      apply: (web) => web.set(B, pages.legal451.path, { kind: 'status', status: 451 }),
    },
    {
      atSeconds: 26,
      pages: [pages.changed],
      apply: (web) =>
        web.set(B, pages.changed.path, {
          kind: 'body',
          body: makeBody('something else', SIZE),
          contentType: 'image/jpeg',
        }),
    },
    {
      atSeconds: 30,
      pages: [pages.restored],
      apply: (web) =>
        web.set(A, pages.restored.path, {
          kind: 'body',
          body: body(pages.restored),
          contentType: 'image/jpeg',
        }),
    },
    {
      atSeconds: 32,
      pages: [pages.placeholder],
      apply: (web) =>
        web.set(B, pages.placeholder.path, { kind: 'redirect', status: 302, location: `/removed.png` }),
    },
    {
      atSeconds: 40,
      pages: [pages.late404],
      apply: (web) => web.set(A, pages.late404.path, { kind: 'status', status: 404 }),
    },
  ];
  const all = Object.values(pages);
  return {
    pages: all,
    steps,
    install(web) {
      for (const p of all)
        web.set(p.host, p.path, { kind: 'body', body: body(p), contentType: 'image/jpeg' });
      web.set(B, '/removed.png', {
        kind: 'body',
        body: makeBody('removed placeholder', 2_000),
        contentType: 'image/png',
      });
    },
  };
}
