/**
 * Streamed hashing of a response body: SHA-256 always, SHA-1 and MD5 only when the report
 * carries them, a byte count, and a hard limit. Bytes past the limit are never hashed;
 * nothing is kept: each chunk is hashed and dropped.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ExpectedHashes } from '@tdm/core';

export interface BodySummary {
  bytes: number;
  sha256: string;
  sha1: string | null;
  md5: string | null;
  /** True when the body went on past the limit and was cut there. */
  truncated: boolean;
}

export class BodyDigest {
  readonly #limit: number;
  readonly #sha256: Hash = createHash('sha256');
  readonly #sha1: Hash | null;
  readonly #md5: Hash | null;
  #bytes = 0;
  #truncated = false;

  constructor(expected: ExpectedHashes, limit: number) {
    this.#limit = limit;
    this.#sha1 = expected.sha1 ? createHash('sha1') : null;
    this.#md5 = expected.md5 ? createHash('md5') : null;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  /**
   * Hashes a chunk (up to the limit). Returns false once data past the limit arrived: read
   * no more. A body of exactly `limit` bytes is not truncated.
   */
  update(chunk: Uint8Array): boolean {
    if (this.#truncated) return false;
    const room = this.#limit - this.#bytes;
    const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    if (chunk.byteLength > room) this.#truncated = true;
    if (part.byteLength > 0) {
      this.#sha256.update(part);
      this.#sha1?.update(part);
      this.#md5?.update(part);
      this.#bytes += part.byteLength;
    }
    return !this.#truncated;
  }

  /** Marks the body as cut (e.g. the raw, still encoded stream passed the limit). */
  markTruncated(): void {
    this.#truncated = true;
  }

  summary(): BodySummary {
    return {
      bytes: this.#bytes,
      sha256: this.#sha256.digest('hex'),
      sha1: this.#sha1?.digest('hex') ?? null,
      md5: this.#md5?.digest('hex') ?? null,
      truncated: this.#truncated,
    };
  }
}
