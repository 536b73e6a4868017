import { createHash } from 'node:crypto';
import { Prng } from './prng.js';

/**
 * Deterministic pseudo-random bytes: the same (seed, size) always gives the same body, so a
 * test knows a body's hash without keeping the body around.
 */
export function makeBody(seed: string, size: number): Buffer {
  if (!Number.isInteger(size) || size < 0)
    throw new RangeError(`makeBody: size must be a non-negative integer, got ${size}`);
  const prng = new Prng(`body:${seed}`);
  const words = Math.ceil(size / 4);
  const out = Buffer.allocUnsafe(words * 4);
  for (let i = 0; i < words; i++) out.writeUInt32LE(prng.nextUint32(), i * 4);
  return out.subarray(0, size);
}

/** Lower-case hex SHA-256 of a buffer. */
export function sha256Hex(buf: Buffer | Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Lower-case hex SHA-1 of a buffer (reports may carry SHA-1 instead of SHA-256). */
export function sha1Hex(buf: Buffer | Uint8Array): string {
  return createHash('sha1').update(buf).digest('hex');
}

/** Lower-case hex MD5 of a buffer (reports may carry MD5 instead of SHA-256). */
export function md5Hex(buf: Buffer | Uint8Array): string {
  return createHash('md5').update(buf).digest('hex');
}

// A valid 1×1 transparent PNG: the kind of "this content was removed" image a hoster serves.
const PLACEHOLDER_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/**
 * A tiny valid PNG to serve as a hoster's "removed" placeholder. A fresh copy each call, so
 * a caller may not corrupt the shared bytes. Its hash is `sha256Hex(placeholderPng())`.
 */
export function placeholderPng(): Buffer {
  return Buffer.from(PLACEHOLDER_PNG_BASE64, 'base64');
}
