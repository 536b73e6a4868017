import { createHash } from 'node:crypto';

/**
 * A small deterministic pseudo-random generator (xoshiro128**), seeded from a string.
 * Why not Math.random: a test that saw a flapping host misbehave must be able to replay
 * exactly the same sequence, and bodies must have the same hash on every run.
 */
export class Prng {
  #s: Uint32Array;

  constructor(seed: string | number) {
    // SHA-256 spreads any seed (even 0 or '') over the 128-bit state; an all-zero state
    // would be a fixed point of xoshiro, and SHA-256 never yields four zero words in practice.
    const digest = createHash('sha256')
      .update(`prng:${String(seed)}`)
      .digest();
    this.#s = new Uint32Array([
      digest.readUInt32LE(0),
      digest.readUInt32LE(4),
      digest.readUInt32LE(8),
      digest.readUInt32LE(12),
    ]);
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (s2 ^ s0) >>> 0;
    let n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = rotl(n3, 11);
    s[0] = n0;
    s[1] = n1;
    s[2] = n2;
    s[3] = n3;
    return result;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
