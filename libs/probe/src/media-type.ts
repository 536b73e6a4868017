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
import { mediaTypeEssence } from '@tdm/core';

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
