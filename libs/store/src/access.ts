/**
 * The access side of the store: API tokens (kept as SHA-256 hashes only) and the
 * append-only audit log. The store never sees a token itself, only its hash.
 */
import type { Database, Executor } from './executor.js';

/** A stored token, without any secret. */
export interface TokenRecord {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What creating a token stores: the record's fields plus the hash of the secret. */
export interface NewToken {
  id: string;
  name: string;
  /** SHA-256 of the token (32 bytes). */
  hash: Buffer;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
}

/** One audit row as written. */
export interface AuditEntry {
  at: Date;
  tokenId: string | null;
  tokenName: string | null;
  method: string;
  /** The route pattern (`/v1/items/:itemId`). */
  route: string;
  /** The path as requested (`/v1/items/17`), without the query string. */
  path: string;
  query: Record<string, unknown>;
  status: number;
  /** Rows returned: the length of an array or a stream, 1 for one object, 0 for an error. */
  rows: number;
  client: string | null;
}

/** An audit row as read back. */
export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  since?: Date;
  limit: number;
}

/** Advisory lock key for the first-token bootstrap ('tdm' + 2). */
const BOOTSTRAP_LOCK_KEY = 0x74646d02;

interface TokenRow {
  token_id: string;
  name: string;
  scopes: string[];
  expires_at: Date | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const TOKEN_COLUMNS = 'token_id, name, scopes, expires_at, created_at, last_used_at, revoked_at';

function tokenFromRow(row: TokenRow): TokenRecord {
  return {
    id: row.token_id,
    name: row.name,
    scopes: [...row.scopes],
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

async function insertToken(db: Executor, token: NewToken): Promise<void> {
  await db.query(
    `INSERT INTO api_tokens (token_id, name, token_hash, scopes, expires_at, created_at)
     VALUES ($1, $2, $3, $4::text[], $5::timestamptz, $6::timestamptz)`,
    [
      token.id,
      token.name,
      token.hash,
      token.scopes,
      token.expiresAt?.toISOString() ?? null,
      token.createdAt.toISOString(),
    ],
  );
}

export async function createToken(db: Executor, token: NewToken): Promise<TokenRecord> {
  await insertToken(db, token);
  const rows = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_id = $1`, [
    token.id,
  ]);
  return tokenFromRow(rows[0] as TokenRow);
}

/**
 * Stores `token` only when the store holds no token at all, under a lock, so that two
 * services starting at once on one database create one bootstrap token, not two.
 */
export async function createFirstToken(db: Database, token: NewToken): Promise<boolean> {
  return await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
    const existing = await tx.query('SELECT 1 FROM api_tokens LIMIT 1');
    if (existing.length > 0) return false;
    await insertToken(tx, token);
    return true;
  });
}

/** The token whose hash this is (revoked and expired ones too: the caller decides). */
export async function findTokenByHash(db: Executor, hash: Buffer): Promise<TokenRecord | null> {
  const rows = await db.query<TokenRow & { token_hash: Uint8Array }>(
    `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1`,
    [hash],
  );
  const row = rows[0];
  return row === undefined ? null : tokenFromRow(row);
}

export async function listTokens(db: Executor): Promise<TokenRecord[]> {
  const rows = await db.query<TokenRow>(
    `SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, token_id`,
  );
  return rows.map(tokenFromRow);
}

export async function countTokens(db: Executor): Promise<number> {
  const rows = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM api_tokens');
  return Number(rows[0]?.n ?? 0);
}

/** Marks the token revoked; false when there is no such token or it was revoked already. */
export async function revokeToken(db: Executor, id: string, at: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE api_tokens SET revoked_at = $2::timestamptz WHERE token_id = $1 AND revoked_at IS NULL
     RETURNING 1`,
    [id, at.toISOString()],
  );
  return rows.length > 0;
}

/**
 * Sets last_used_at unless it is already within `minIntervalMs` of `at`: with several
 * services each touching at most once a minute per token, the row is written at most
 * once a minute in all.
 */
export async function touchToken(db: Executor, id: string, at: Date, minIntervalMs: number): Promise<void> {
  await db.query(
    `UPDATE api_tokens SET last_used_at = $2::timestamptz
      WHERE token_id = $1
        AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - make_interval(secs => $3::double precision))`,
    [id, at.toISOString(), minIntervalMs / 1000],
  );
}

export async function appendAudit(db: Executor, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO audit_log (at, token_id, token_name, method, route, path, query, status, rows, client)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::jsonb[], $8::integer[], $9::integer[], $10::text[])`,
    [
      entries.map((e) => e.at.toISOString()),
      entries.map((e) => e.tokenId),
      entries.map((e) => e.tokenName),
      entries.map((e) => e.method),
      entries.map((e) => e.route),
      entries.map((e) => e.path),
      entries.map((e) => JSON.stringify(e.query)),
      entries.map((e) => e.status),
      entries.map((e) => e.rows),
      entries.map((e) => e.client),
    ],
  );
}

interface AuditRow {
  audit_id: number | string;
  at: Date;
  token_id: string | null;
  token_name: string | null;
  method: string;
  route: string;
  path: string;
  query: Record<string, unknown> | string;
  status: number;
  rows: number;
  client: string | null;
}

/** Audit rows at or after `since`, oldest first. */
export async function listAudit(db: Executor, query: AuditQuery): Promise<AuditRecord[]> {
  const rows = await db.query<AuditRow>(
    `SELECT audit_id, at, token_id, token_name, method, route, path, query, status, rows, client
       FROM audit_log
      WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz)
      ORDER BY at, audit_id
      LIMIT $2`,
    [query.since?.toISOString() ?? null, query.limit],
  );
  return rows.map((row) => ({
    id: Number(row.audit_id),
    at: row.at,
    tokenId: row.token_id,
    tokenName: row.token_name,
    method: row.method,
    route: row.route,
    path: row.path,
    query: typeof row.query === 'string' ? (JSON.parse(row.query) as Record<string, unknown>) : row.query,
    status: Number(row.status),
    rows: Number(row.rows),
    client: row.client,
  }));
}

/** The retention prune: the one delete path of the audit log. Returns the rows deleted. */
export async function pruneAudit(db: Database, before: Date): Promise<number> {
  return await db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('tdm.audit_prune', 'on', true)`);
    const rows = await tx.query<{ n: number | string }>(
      `WITH gone AS (DELETE FROM audit_log WHERE at < $1::timestamptz RETURNING 1) SELECT count(*) AS n FROM gone`,
      [before.toISOString()],
    );
    return Number(rows[0]?.n ?? 0);
  });
}
