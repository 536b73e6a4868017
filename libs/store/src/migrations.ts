/**
 * Schema migrations: numbered, applied in order, each recorded in `schema_migrations`.
 * `migrate()` runs them in one transaction under a transaction-scoped advisory lock, so
 * two processes migrating at once apply each migration exactly once (the second waits,
 * then finds nothing to do). Never edit a released migration: add the next number.
 */
import type { Database, StoreLogger } from './executor.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Advisory lock key for migrations ('tdm' + 1); any constant shared by all processes works. */
const MIGRATION_LOCK_KEY = 0x74646d01;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'items, reports, transitions, partitioned check log',
    sql: `
-- The item's identity is its normalised URL. URLs may be up to 4 KiB, more than a btree
-- entry can hold, so uniqueness is enforced on a SHA-256 of the URL. convert_to() is
-- only STABLE in the catalog; the database encoding is fixed, so the wrapper is immutable.
CREATE FUNCTION tdm_url_key(url text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT sha256(convert_to(url, 'UTF8')) $$;

CREATE TABLE items (
  item_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url                text NOT NULL,
  url_key            bytea NOT NULL GENERATED ALWAYS AS (tdm_url_key(url)) STORED,
  original_url       text NOT NULL,
  host               text NOT NULL,
  registrable_domain text NOT NULL,
  mode               text NOT NULL CHECK (mode IN ('http', 'browser')),
  sha256             text,
  sha1               text,
  md5                text,
  reported_at        timestamptz NOT NULL,
  notice_sent_at     timestamptz,
  -- The origin of the item's check grid.
  anchor_at          timestamptz NOT NULL GENERATED ALWAYS AS (coalesce(notice_sent_at, reported_at)) STORED,
  -- The scheduler's claim order; NULL would mean "never" (not used yet).
  next_check_at      timestamptz,
  -- State machine (ItemStatus in @tdm/core).
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'online', 'offline')),
  checks             integer NOT NULL DEFAULT 0,
  first_checked_at   timestamptz,
  last_checked_at    timestamptz,
  last_scheduled_at  timestamptz,
  last_online_at     timestamptz,
  offline_at         timestamptz,
  offline_reason     text,
  confirmed_at       timestamptz,
  run_started_at     timestamptz,
  run_length         integer NOT NULL DEFAULT 0,
  run_all_definitive boolean NOT NULL DEFAULT true,
  run_reason         text,
  ip                 text,
  hoster             text,
  created_at         timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 85); -- every check updates its item: leave room for the new row version

CREATE UNIQUE INDEX items_url_key ON items (url_key);
CREATE INDEX items_next_check_at ON items (next_check_at);
-- GET /v1/removals pages by (offline_at, item_id) over confirmed removals only.
CREATE INDEX items_removals ON items (offline_at, item_id) WHERE state = 'offline';
-- Analysts group and filter by domain (per-hoster rankings).
CREATE INDEX items_registrable_domain ON items (registrable_domain);

CREATE TABLE reports (
  source          text NOT NULL,
  report_id       text NOT NULL,
  -- True when the caller gave no id and the store generated one.
  id_generated    boolean NOT NULL DEFAULT false,
  item_id         bigint NOT NULL REFERENCES items (item_id),
  original_url    text NOT NULL,
  reported_at     timestamptz NOT NULL,
  notice_sent_at  timestamptz,
  sha256          text,
  sha1            text,
  md5             text,
  mode            text NOT NULL CHECK (mode IN ('http', 'browser')),
  labels          jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, report_id)
);
CREATE INDEX reports_item_id ON reports (item_id);

CREATE TABLE transitions (
  transition_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id       bigint NOT NULL REFERENCES items (item_id),
  from_state    text NOT NULL,
  to_state      text NOT NULL,
  at            timestamptz NOT NULL,
  reason        text,
  -- The check that caused it: one check causes at most one transition, so a
  -- redelivered result can never record a transition twice.
  job_id        text NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (item_id, job_id)
);
CREATE INDEX transitions_at ON transitions (at);

-- The raw check log: one partition per UTC day (created ahead by maintainCheckLog or on
-- demand), dropped whole after the retention period, so it never needs a DELETE.
CREATE TABLE checks (
  job_id        text NOT NULL,
  scheduled_at  timestamptz NOT NULL,
  item_id       bigint NOT NULL,
  started_at    timestamptz NOT NULL,
  duration_ms   integer NOT NULL,
  outcome       text NOT NULL,
  reason        text,
  http_status   smallint,
  ip            text,
  final_url     text,
  content_type  text,
  sha256        text,
  bytes         bigint NOT NULL,
  error         text,
  worker_id     text,
  redirects     jsonb NOT NULL DEFAULT '[]'::jsonb,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, scheduled_at)
) PARTITION BY RANGE (scheduled_at);
CREATE INDEX checks_item ON checks (item_id, scheduled_at DESC);
`,
  },
  {
    version: 2,
    name: 'domain pacing: cluster-wide per-domain rate',
    sql: `
-- The next free start time per registrable domain. claimDueJobs locks a domain's row, gives
-- its jobs start times (notBefore) 1/rate apart from max(now, next_at), and moves next_at
-- past them, in the claim's transaction: the rate then holds for every scheduler and
-- crawler together. One small row per domain ever claimed.
CREATE TABLE domain_pacing (
  registrable_domain text PRIMARY KEY,
  next_at            timestamptz NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'items.first_content_type: soft removals',
    sql: `
-- The media type (type/subtype, lower-case) of the item's first online check that had
-- one, set once by applyResults. Jobs carry it as expected.contentType: an item first
-- seen as an image, video or audio file that now answers 200 with a page is
-- content_changed (a soft removal). NULL: not seen online yet, or never with a type.
ALTER TABLE items ADD COLUMN first_content_type text;
`,
  },
  {
    version: 4,
    name: 'items fillfactor 80: room for HOT updates',
    sql: `
-- Every check updates its item twice: the claim (next_check_at, indexed, so never a HOT
-- update) and the result (state, counters, timestamps: usually no indexed value
-- changes). A HOT update writes no index entries, but needs room on the row's page.
-- Migration 1 left 15% (fillfactor 85); measured, 20% changed nothing that a run on a
-- shared 2-core machine can tell apart (docs/performance.md). Kept because databases
-- have applied it. Takes effect for pages written from now on.
ALTER TABLE items SET (fillfactor = 80);
`,
  },
  {
    version: 5,
    name: 'schedule: next_check_at in a narrow table of its own',
    sql: `
-- The scheduler moves every item's next_check_at at every claim. On items, that column
-- is indexed, so each claim wrote a whole new version of a wide row (URLs, hashes,
-- state) and an entry in every index of items. Here a claim rewrites a row of three
-- columns and two index entries, and the results' updates of items stay HOT (no
-- indexed column of items changes on a check any more).
CREATE TABLE schedule (
  item_id            bigint PRIMARY KEY REFERENCES items (item_id) ON DELETE CASCADE,
  -- A copy of items.registrable_domain (it never changes): the claim ranks every due
  -- item by domain for the pacing, and a join per due item cost more than the copy.
  registrable_domain text NOT NULL,
  -- The scheduler's claim order; NULL would mean "never" (not used yet).
  next_check_at      timestamptz
) WITH (fillfactor = 90);
INSERT INTO schedule (item_id, registrable_domain, next_check_at)
SELECT item_id, registrable_domain, next_check_at FROM items;
CREATE INDEX schedule_next_check_at ON schedule (next_check_at);
DROP INDEX items_next_check_at;
ALTER TABLE items DROP COLUMN next_check_at;
`,
  },
  {
    version: 6,
    name: 'transitions keep each removal episode readable (bracket, index)',
    sql: `
-- The removals export lists removal episodes: every confirmed transition to offline,
-- also one that a reappearance followed. The items row holds only the newest episode's
-- bracket, so each offline transition keeps its own.
ALTER TABLE transitions ADD COLUMN last_online_at timestamptz, ADD COLUMN confirmed_at timestamptz;
-- Episodes recorded before this migration: the item's current one has its bracket on the
-- items row; an older one (followed by a reappearance) keeps NULLs (docs/api.md says so).
UPDATE transitions AS t SET last_online_at = i.last_online_at, confirmed_at = i.confirmed_at
  FROM items AS i
 WHERE t.item_id = i.item_id AND t.to_state = 'offline' AND i.state = 'offline' AND t.at = i.offline_at;
CREATE INDEX transitions_removals ON transitions (at, item_id) WHERE to_state = 'offline';
`,
  },
  {
    version: 7,
    name: 'item_corrections: admin corrections keep the old value',
    sql: `
-- Once an item's removal is confirmed, reports no longer move its notice time (that would
-- rewrite the measured time to removal). An admin may correct it; each correction keeps
-- the value it replaced, the reason and who made it. Rows are only ever inserted.
CREATE TABLE item_corrections (
  correction_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id       bigint NOT NULL REFERENCES items (item_id),
  field         text NOT NULL,
  old_value     timestamptz,
  new_value     timestamptz,
  reason        text NOT NULL,
  corrected_by  text,
  corrected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_corrections_item ON item_corrections (item_id, correction_id);
`,
  },
  {
    version: 8,
    name: 'access: API tokens and the append-only audit log',
    sql: `
-- API tokens. Only the SHA-256 of a token is kept: tokens are 256 random bits, so a fast
-- hash is as safe as a slow one (nobody can guess a preimage), and the lookup is one
-- index probe. A revoked token keeps its row (revoked_at), so the audit log still names it.
CREATE TABLE api_tokens (
  token_id     text PRIMARY KEY,
  name         text NOT NULL,
  token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  scopes       text[] NOT NULL,
  expires_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- Who read which URLs, and every change of tokens and webhooks. Append-only: rows are
-- never updated, and deleted only by the retention prune, which sets tdm.audit_prune for
-- its own transaction (a speed bump against a stray DELETE, not against a superuser).
CREATE TABLE audit_log (
  audit_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  token_id   text,
  token_name text,
  method     text NOT NULL,
  route      text NOT NULL,
  path       text NOT NULL,
  query      jsonb NOT NULL DEFAULT '{}'::jsonb,
  status     integer NOT NULL,
  rows       integer NOT NULL,
  client     text
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION tdm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('tdm.audit_prune', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION tdm_audit_append_only();
`,
  },
  {
    version: 9,
    name: 'service keys: the job ticket key shared by scheduler and results',
    sql: `
-- Secrets the services that reach the database share, and the crawlers (no database
-- access) never see: the key of the job tickets (HMAC of itemId@scheduledAt) with which
-- the results service tells results of issued jobs from forged ones. Created on first
-- use by serviceKey(); hex text so both backends read it the same way.
CREATE TABLE service_keys (
  name       text PRIMARY KEY,
  secret_hex text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 10,
    name: 'deadlines, attribution (asn, organisation, country), reappearances',
    sql: `
-- The removal deadline of each report and of each item (the earliest of its reports'),
-- fixed when the report is stored. Rows stored before this version get the default
-- policy of the time: 24 hours after the notice (or the report).
ALTER TABLE reports ADD COLUMN deadline_at timestamptz;
UPDATE reports SET deadline_at = coalesce(notice_sent_at, reported_at) + interval '24 hours';
ALTER TABLE reports ALTER COLUMN deadline_at SET NOT NULL;
ALTER TABLE items ADD COLUMN deadline_at timestamptz;
UPDATE items SET deadline_at = anchor_at + interval '24 hours';
ALTER TABLE items ALTER COLUMN deadline_at SET NOT NULL;
-- Attribution of the address a check connected to (libs/attribution), per check, and
-- the item's: the one of its last online check (or, never seen online, its first check),
-- so a host that moves after the removal does not rewrite the history.
ALTER TABLE items ADD COLUMN asn bigint, ADD COLUMN as_org text, ADD COLUMN country text;
ALTER TABLE checks ADD COLUMN hoster text, ADD COLUMN asn bigint, ADD COLUMN as_org text, ADD COLUMN country text;
-- Offline → online transitions of the item, kept on the row so statistics need no join.
ALTER TABLE items ADD COLUMN reappearances integer NOT NULL DEFAULT 0;
UPDATE items AS i SET reappearances = t.n
  FROM (SELECT item_id, count(*) AS n FROM transitions
         WHERE from_state = 'offline' AND to_state = 'online' GROUP BY item_id) AS t
 WHERE t.item_id = i.item_id;
-- GET /v1/overdue pages by (deadline_at, item_id) over items not removed. state changes
-- only on a transition, so the results' updates of items stay HOT.
CREATE INDEX items_open_deadline ON items (deadline_at, item_id) WHERE state <> 'offline';
-- Statistics select items by notice window.
CREATE INDEX items_anchor_at ON items (anchor_at);
`,
  },
];

/** Applies the pending migrations; returns the versions applied by this call. */
export async function runMigrations(
  db: Database,
  logger: StoreLogger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    // Created under the lock: two first-time migrators would otherwise race on it.
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
      logger.info({ version: migration.version, migration: migration.name }, 'migration applied');
    }
    return applied;
  });
}
