import { describe, expect, it } from 'vitest';
import { createPlaceholderRules } from '@tdm/probe';

describe('placeholder rules', () => {
  const rules = createPlaceholderRules(['^https?://cdn\\.example/gone$'], ['A'.repeat(64)]);

  it.each([
    'https://i.imgur.com/removed.png',
    'http://x.test/static/removed.jpg?x=1',
    'http://x.test/404.png',
    'http://x.test/img/410.gif',
    'http://x.test/img/photo_removed.jpg',
    'http://x.test/assets/image-deleted.webp',
    'http://x.test/notfound.gif',
    'http://x.test/content_unavailable.png',
    'http://x.test/NoLongerAvailable.JPG',
    'http://x.test/static/removed_image.png',
    'http://x.test/i/image_not_available.gif',
    'http://x.test/i/video-unavailable.svg',
    'https://cdn.example/gone',
  ])('matches %s', (url) => expect(rules.isPlaceholderUrl(url)).toBe(true));

  it.each([
    'http://x.test/',
    'http://x.test/index.html',
    'http://x.test/removed/',
    'http://x.test/404',
    'http://x.test/login?next=/removed.png',
    'http://x.test/login?next=/removed.png.html',
    'http://x.test/images/cat.jpg',
    'http://x.test/uploads/cat-bg-removed.png',
    'http://x.test/uploads/undeleted.jpg',
    'http://x.test/uploads/removed-by-user-1234.jpg',
    'http://x.test/removed.png.html',
    'http://removed.test/cat.png',
    'https://cdn.example/gone/but-not-this',
  ])('does not match %s', (url) => expect(rules.isPlaceholderUrl(url)).toBe(false));

  it('matches hashes case-insensitively', () => {
    expect(rules.isPlaceholderHash('a'.repeat(64))).toBe(true);
    expect(rules.isPlaceholderHash('b'.repeat(64))).toBe(false);
  });
});
