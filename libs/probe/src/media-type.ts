/**
 * Media types for the soft-removal rule: an item first seen as an image, a video or a
 * sound that now answers 2xx with a page is `content_changed`. Hosters often "remove" a
 * file by serving their HTML "this content is not available" page with status 200.
 *
 * Deliberately narrow on both sides, because a false `content_changed` is a false
 * removal: only image/*, video/* and audio/* count as media expected; only types that are
 * clearly documents (text/*, HTML/XML/JSON and their +xml/+json kinds, JavaScript) count
 * as "now a page". A missing, unparsable or ambiguous type (application/octet-stream,
 * binary/octet-stream, application/x-whatever) decides nothing: the hashes still do.
 */

/** Families whose change to a page is a soft removal. */
const MEDIA_FAMILIES: ReadonlySet<string> = new Set(['image', 'video', 'audio']);

/** Single types (outside text/*) that are documents, not media. */
const DOCUMENT_TYPES: ReadonlySet<string> = new Set([
  'application/xhtml+xml',
  'application/xml',
  'application/json',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
]);

/** RFC 9110 token characters, for type and subtype. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The essence of a Content-Type header value: `type/subtype`, lower-case, parameters
 * dropped. Null when absent or not of that shape.
 */
export function mediaTypeEssence(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const semicolon = value.indexOf(';');
  const essence = (semicolon >= 0 ? value.slice(0, semicolon) : value).trim().toLowerCase();
  if (essence.length === 0 || essence.length > 127) return null;
  const slash = essence.indexOf('/');
  if (slash <= 0 || slash !== essence.lastIndexOf('/')) return null;
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  return TOKEN.test(type) && TOKEN.test(subtype) ? essence : null;
}

/** True for image/*, video/*, audio/*. */
export function isMediaType(essence: string | null): boolean {
  if (essence === null) return false;
  return MEDIA_FAMILIES.has(essence.slice(0, essence.indexOf('/')));
}

/** True for a type that is clearly a document (a page, data, script), never media. */
export function isDocumentType(essence: string | null): boolean {
  if (essence === null) return false;
  const slash = essence.indexOf('/');
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  if (type === 'text') return true;
  if (type !== 'application') return false;
  return DOCUMENT_TYPES.has(essence) || subtype.endsWith('+xml') || subtype.endsWith('+json');
}

/**
 * The soft-removal rule: the item was media when first seen online and the answer is now
 * a document. Anything unknown on either side is no change.
 */
export function isSoftRemoval(
  expectedContentType: string | null | undefined,
  actualContentType: string | null | undefined,
): boolean {
  return (
    isMediaType(mediaTypeEssence(expectedContentType)) && isDocumentType(mediaTypeEssence(actualContentType))
  );
}
