/**
 * Removals that answer 200: an image that became an HTML page (soft removal, judged by the
 * media type of the item's first online check, `expected.contentType`), and the
 * placeholder rules (shipped URL patterns, operator patterns, operator hashes) on real
 * responses from the fixture web.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedHashes, Outcome, Reason } from '@tdm/core';
import { makeBody, placeholderPng, sha256Hex, startFixtureWeb, type FixtureWeb } from '@tdm/fixture-web';
import { createHttpProber, type HttpProber } from '@tdm/probe';
import { loopbackOptions } from './prober-options.js';
import { closedPort } from './servers.js';

const IMAGE = makeBody('the reported image', 30_000);
const PAGE = Buffer.from(
  '<!doctype html><title>Not available</title><p>This content is no longer available.</p>',
);

let web: FixtureWeb;
let prober: HttpProber;

beforeAll(async () => {
  web = await startFixtureWeb();
  prober = createHttpProber(
    loopbackOptions([`127.0.0.1:${await closedPort()}`], {
      hostMap: { 'img.test': '127.0.0.1' },
      maxBodyBytes: 64 * 1024,
      placeholderUrlPatterns: [String.raw`/account-suspended(?:\?|$)`],
      placeholderSha256: [sha256Hex(placeholderPng())],
    }),
  );
  const set = (path: string, body: Buffer, contentType: string): void =>
    web.set('img.test', path, { kind: 'body', body, contentType });
  set('/still.jpg', IMAGE, 'image/jpeg');
  set('/now-page.jpg', PAGE, 'text/html; charset=utf-8');
  set('/now-json.jpg', Buffer.from('{"error":"removed"}'), 'application/problem+json');
  set('/now-octet.jpg', IMAGE, 'application/octet-stream');
  set('/now-png.jpg', makeBody('another image', 1000), 'image/png');
  set('/video-now-page.mp4', PAGE, 'TEXT/HTML');
  web.set('img.test', '/big-page.jpg', { kind: 'sized', bytes: 1024 * 1024, contentType: 'text/html' });
  web.set('img.test', '/big-video.mp4', { kind: 'sized', bytes: 1024 * 1024, contentType: 'video/mp4' });
  set('/no-type.jpg', IMAGE, '');
  web.set('img.test', '/to-removed-png', { kind: 'redirect', location: '/static/removed.png' });
  web.set('img.test', '/to-suspended', { kind: 'redirect', location: '/account-suspended?id=7' });
  set('/placeholder-body.jpg', placeholderPng(), 'image/png');
  web.set('img.test', '/to-home', { kind: 'redirect', location: '/' });
  set('/', PAGE, 'text/html');
});

afterAll(async () => {
  await prober.close();
  await web.close();
});

interface Case {
  name: string;
  path: string;
  expected: ExpectedHashes;
  outcome: Outcome;
  reason: Reason | null;
  error?: RegExp;
}

const image: ExpectedHashes = { contentType: 'image/jpeg' };
const cases: Case[] = [
  {
    name: 'an image still served as an image',
    path: '/still.jpg',
    expected: { ...image, sha256: sha256Hex(IMAGE) },
    outcome: 'online',
    reason: null,
  },
  {
    name: 'an image now served as an HTML page (200) is content_changed, without any hash',
    path: '/now-page.jpg',
    expected: image,
    outcome: 'offline',
    reason: 'content_changed',
    error: /^text\/html where image\/jpeg was first seen$/,
  },
  {
    name: 'an image now served as problem+json',
    path: '/now-json.jpg',
    expected: image,
    outcome: 'offline',
    reason: 'content_changed',
  },
  {
    name: 'a video now served as a page (type case-insensitive)',
    path: '/video-now-page.mp4',
    expected: { contentType: 'video/mp4' },
    outcome: 'offline',
    reason: 'content_changed',
  },
  {
    name: 'a page larger than maxBodyBytes is still content_changed (the header is whole)',
    path: '/big-page.jpg',
    expected: image,
    outcome: 'offline',
    reason: 'content_changed',
    error: /first seen; body cut/,
  },
  {
    name: 'a cut media body stays online',
    path: '/big-video.mp4',
    expected: { contentType: 'video/mp4' },
    outcome: 'online',
    reason: null,
  },
  {
    name: 'application/octet-stream decides nothing',
    path: '/now-octet.jpg',
    expected: { ...image, sha256: sha256Hex(IMAGE) },
    outcome: 'online',
    reason: null,
  },
  {
    name: 'image/jpeg → image/png is not a soft removal (hoster re-encoded)',
    path: '/now-png.jpg',
    expected: image,
    outcome: 'online',
    reason: null,
  },
  {
    name: 'an empty Content-Type decides nothing',
    path: '/no-type.jpg',
    expected: image,
    outcome: 'online',
    reason: null,
  },
  {
    name: 'a page first seen as a page stays online',
    path: '/now-page.jpg',
    expected: { contentType: 'text/html' },
    outcome: 'online',
    reason: null,
  },
  {
    name: 'no first content type: a page is online',
    path: '/now-page.jpg',
    expected: {},
    outcome: 'online',
    reason: null,
  },
  {
    name: 'shipped pattern: redirect to /static/removed.png',
    path: '/to-removed-png',
    expected: image,
    outcome: 'offline',
    reason: 'placeholder',
  },
  {
    name: 'operator pattern: redirect to /account-suspended',
    path: '/to-suspended',
    expected: image,
    outcome: 'offline',
    reason: 'placeholder',
  },
  {
    name: 'operator hash: a known placeholder image body',
    path: '/placeholder-body.jpg',
    expected: image,
    outcome: 'offline',
    reason: 'placeholder',
  },
  {
    name: 'a redirect to the home page (HTML) of an image: content_changed',
    path: '/to-home',
    expected: image,
    outcome: 'offline',
    reason: 'content_changed',
  },
];

describe('soft removals and placeholders on real responses', () => {
  it.each(cases)('$name', async (c) => {
    const result = await prober.probe(web.url('img.test', c.path), c.expected);
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({
      outcome: c.outcome,
      reason: c.reason,
    });
    if (c.error) expect(result.error).toMatch(c.error);
  });

  it('a placeholder redirect target is never fetched', async () => {
    const before = web.requests('img.test', '/static/removed.png');
    const result = await prober.probe(web.url('img.test', '/to-removed-png'), {});
    expect(result.finalUrl).toBe(web.url('img.test', '/static/removed.png'));
    expect(web.requests('img.test', '/static/removed.png')).toBe(before);
  });
});
