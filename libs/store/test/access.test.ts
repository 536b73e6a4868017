import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, NewToken } from '../src/index.js';
import { BACKENDS, count, openHarness, T0, at, type Harness } from './harness.js';

let serial = 0;
function token(overrides: Partial<NewToken> = {}): NewToken {
  serial += 1;
  return {
    id: `tok-${serial}`,
    name: `token ${serial}`,
    hash: createHash('sha256').update(`secret-${serial}`).digest(),
    scopes: ['items:read'],
    expiresAt: null,
    createdAt: T0,
    ...overrides,
  };
}

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: T0,
    tokenId: 'tok-x',
    tokenName: 'analyst',
    method: 'GET',
    route: '/v1/items/:itemId',
    path: '/v1/items/1',
    query: {},
    status: 200,
    rows: 1,
    client: '127.0.0.1',
    ...overrides,
  };
}

describe.each(BACKENDS)('tokens and audit log on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, 'access');
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.db.exec('TRUNCATE api_tokens');
    await h.db.exec('TRUNCATE audit_log RESTART IDENTITY');
  });

  it('stores a token by its hash only and finds it by that hash', async () => {
    const t = token({ scopes: ['items:read', 'stats:read'], expiresAt: at(3600_000) });
    const created = await h.store.createToken(t);
    expect(created).toEqual({
      id: t.id,
      name: t.name,
      scopes: ['items:read', 'stats:read'],
      expiresAt: at(3600_000),
      createdAt: T0,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(await h.store.findTokenByHash(t.hash)).toEqual(created);
    expect(await h.store.findTokenByHash(createHash('sha256').update('other').digest())).toBeNull();
    const columns = await h.db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'api_tokens'`,
    );
    expect(columns.map((c) => c.column_name)).not.toContain('token');
  });

  it('revokes once; lists revoked tokens with their time', async () => {
    const t = await h.store.createToken(token());
    expect(await h.store.revokeToken(t.id, at(1000))).toBe(true);
    expect(await h.store.revokeToken(t.id, at(2000))).toBe(false);
    expect(await h.store.revokeToken('no-such', at(2000))).toBe(false);
    expect((await h.store.listTokens()).map((x) => [x.id, x.revokedAt])).toEqual([[t.id, at(1000)]]);
  });

  it('creates the first token only while the store holds none, also when raced', async () => {
    const results = await Promise.all([
      h.store.createFirstToken(token()),
      h.store.createFirstToken(token()),
      h.store.createFirstToken(token()),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await h.store.countTokens()).toBe(1);
    expect(await h.store.createFirstToken(token())).toBe(false);
  });

  it('records a use at most once per interval', async () => {
    const t = await h.store.createToken(token());
    await h.store.touchToken(t.id, at(0), 60_000);
    await h.store.touchToken(t.id, at(30_000), 60_000);
    expect((await h.store.findTokenByHash(token().hash))?.lastUsedAt ?? null).toBeNull();
    const [first] = await h.store.listTokens();
    expect(first?.lastUsedAt).toEqual(at(0));
    await h.store.touchToken(t.id, at(61_000), 60_000);
    expect((await h.store.listTokens())[0]?.lastUsedAt).toEqual(at(61_000));
  });

  it('appends audit rows and reads them back from a time on, oldest first', async () => {
    await h.store.appendAudit([
      entry({ at: at(0), query: { limit: 5 } }),
      entry({ at: at(1000), rows: 7, route: '/v1/removals', path: '/v1/removals', tokenId: null }),
    ]);
    await h.store.appendAudit([entry({ at: at(2000), status: 404, rows: 0 })]);
    const all = await h.store.listAudit({ limit: 10 });
    expect(all.map((r) => [r.id, r.at, r.rows, r.status])).toEqual([
      [1, at(0), 1, 200],
      [2, at(1000), 7, 200],
      [3, at(2000), 0, 404],
    ]);
    expect(all[0]).toMatchObject({ query: { limit: 5 }, tokenName: 'analyst', client: '127.0.0.1' });
    expect(all[1]?.tokenId).toBeNull();
    expect((await h.store.listAudit({ since: at(1000), limit: 1 })).map((r) => r.id)).toEqual([2]);
  });

  it('refuses to update or delete audit rows, except the retention prune', async () => {
    await h.store.appendAudit([entry({ at: at(0) }), entry({ at: at(86_400_000) })]);
    await expect(h.db.query('UPDATE audit_log SET rows = 0')).rejects.toThrow(/append-only/);
    await expect(h.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    expect(await count(h.db, 'audit_log')).toBe(2);
    expect(await h.store.pruneAudit(at(1000))).toBe(1);
    expect((await h.store.listAudit({ limit: 10 })).map((r) => r.at)).toEqual([at(86_400_000)]);
    // The prune's permission ends with its transaction.
    await expect(h.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
