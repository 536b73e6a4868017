/**
 * Token secrets: `tdm_` and 43 base64url characters (256 random bits). The prefix lets
 * secret scanners (GitHub, gitleaks) find a leaked token. Only the SHA-256 of a token is
 * stored: a token is 256 bits of randomness, so nobody can find a preimage of its hash by
 * guessing, and a slow password hash (scrypt, Argon2) would only cost every request time
 * without making a stolen hash any less useless.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'tdm_';
/** Random bytes per token. */
const TOKEN_BYTES = 32;

/** A fresh token secret. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** A fresh token id (not secret: it names the token in lists, audit rows and DELETE). */
export function generateTokenId(): string {
  return randomUUID();
}

/** SHA-256 of a token, the only form the store keeps. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares two token hashes in constant time. */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
