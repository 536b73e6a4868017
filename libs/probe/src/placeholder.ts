/**
 * Known "this content was removed" signs. A redirect whose target URL matches one of the
 * patterns, or a 2xx body whose SHA-256 is a known placeholder hash, means `placeholder`.
 *
 * The shipped URL patterns are deliberately conservative: they only match image file
 * names that say "removed"; a redirect to a home page or a generic error page is NOT a
 * placeholder (it ends as whatever that page answers). They are tested against the path
 * of the redirect target only (so a query string like `?next=/removed.png` does not
 * match), case-insensitively. Operators add their own with `placeholderUrlPatterns`:
 * regular expression sources, tested against the full target URL, also case-insensitively.
 */
import { ConfigError } from '@tdm/core';

export const DEFAULT_PLACEHOLDER_URL_PATTERNS: readonly string[] = [
  // Image hosts' stock "removed" images, e.g. https://i.imgur.com/removed.png
  String.raw`/removed\.(?:png|jpe?g|gif|webp|svg)$`,
  // An image named after an HTTP error code: /404.png, /410.jpg, /451.gif
  String.raw`/(?:404|410|451)\.(?:png|jpe?g|gif|webp|svg)$`,
  // An image whose file name says removed/deleted/not found/unavailable, alone or with a
  // generic noun: /img/photo_removed.jpg, /static/image-deleted.png, /assets/notfound.gif,
  // /removed_image.png. Only generic nouns: a real picture whose name merely contains the
  // word (cat-bg-removed.png, undeleted.jpg) must not match, a false placeholder is a
  // false removal.
  String.raw`/(?:(?:image|img|photo|picture|pic|content|file|media|video|post|item)[-_]?)?(?:removed|deleted|not[-_]?found|unavailable|not[-_]?available|no[-_]?longer[-_]?available)(?:[-_]?(?:image|img|photo|picture|pic|content|file|media|video))?\.(?:png|jpe?g|gif|webp|svg)$`,
];

export interface PlaceholderRules {
  /** True when a redirect target URL is a known "removed" page or image. */
  isPlaceholderUrl(url: string): boolean;
  /** True when a body's SHA-256 (hex) is a known placeholder. */
  isPlaceholderHash(sha256: string): boolean;
}

/** Compiles the rules; a bad pattern or hash is a ConfigError. */
export function createPlaceholderRules(
  extraPatterns: readonly string[],
  hashes: readonly string[],
): PlaceholderRules {
  const defaults = DEFAULT_PLACEHOLDER_URL_PATTERNS.map((source) => new RegExp(source, 'i'));
  const patterns = extraPatterns.map((source) => {
    try {
      return new RegExp(source, 'i');
    } catch (error) {
      throw new ConfigError(`placeholderUrlPatterns: "${source}" is not a regular expression`, {
        cause: error,
      });
    }
  });
  const hashSet = new Set<string>();
  for (const hash of hashes) {
    const lower = hash.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(lower))
      throw new ConfigError(`placeholderSha256: "${hash}" is not a SHA-256 hex digest`);
    hashSet.add(lower);
  }
  return {
    isPlaceholderUrl: (url) => {
      let path: string;
      try {
        path = new URL(url).pathname;
      } catch {
        return false;
      }
      return defaults.some((pattern) => pattern.test(path)) || patterns.some((pattern) => pattern.test(url));
    },
    isPlaceholderHash: (sha256) => hashSet.has(sha256.toLowerCase()),
  };
}
