/**
 * Token → principal. Every request looks its token up in the store (one probe of a unique
 * index on the hash): nothing is cached, so a token revoked on one results service is
 * refused by every other at once. docs/security.md has the measured cost.
 */
import type { Store } from '@tdm/store';
import { CONFIGURED_ADMIN, type Principal } from './principal.js';
import { hashToken, sameHash } from './token-secret.js';

/** last_used_at is written at most once per this interval per token (not a write per request). */
export const TOUCH_INTERVAL_MS = 60_000;

export interface AuthenticatorOptions {
  store: Store;
  /** The operator-chosen admin token, if any. */
  adminToken?: string;
  now: () => Date;
  /** Called when recording a use fails (the request goes on). */
  onTouchError: (error: unknown) => void;
}

export class Authenticator {
  readonly #store: Store;
  readonly #adminHash: Buffer | null;
  readonly #now: () => Date;
  readonly #onTouchError: (error: unknown) => void;
  /** When this process last recorded a use, per token id. */
  readonly #touched = new Map<string, number>();

  constructor(options: AuthenticatorOptions) {
    this.#store = options.store;
    this.#adminHash = options.adminToken ? hashToken(options.adminToken) : null;
    this.#now = options.now;
    this.#onTouchError = options.onTouchError;
  }

  /** The principal of a valid token; null for an unknown, expired or revoked one. */
  async authenticate(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    if (this.#adminHash !== null && sameHash(hash, this.#adminHash)) return CONFIGURED_ADMIN;
    // The lookup is by hash, so its timing says something about the hash, never the token.
    const record = await this.#store.findTokenByHash(hash);
    if (record === null) return null;
    const now = this.#now();
    if (record.revokedAt !== null) return null;
    if (record.expiresAt !== null && record.expiresAt.getTime() <= now.getTime()) return null;
    this.#touch(record.id, now);
    return { tokenId: record.id, name: record.name, scopes: record.scopes };
  }

  #touch(id: string, now: Date): void {
    const last = this.#touched.get(id);
    if (last !== undefined && now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.#touched.set(id, now.getTime());
    // Not awaited: the request should not wait for a bookkeeping write.
    this.#store.touchToken(id, now, TOUCH_INTERVAL_MS).catch(this.#onTouchError);
  }
}
