/**
 * Configuration as a table: each setting is one field, bound to one environment
 * variable, with a default, a unit and a description. `loadConfig()` is the one compile
 * step that reads a JSON config file and the environment (environment wins), fills in
 * defaults and converts units (durations to `…Ms`, sizes to bytes). docs/configuration.md
 * is generated from this table (`tdm config --markdown`) and a test keeps it in sync.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { compileDeadlinePolicy } from './deadline.js';
import { parseBytes, parseDuration } from './duration.js';
import { parseSchedulePolicy, type SchedulePolicy } from './schedule.js';

/**
 * What each kind of setting compiles to. `Config` is derived from this and SETTINGS, and
 * each kind's compiler (COMPILERS below) must return this type, so a field's type and the
 * way its value is made cannot drift apart.
 */
export interface SettingKindValues {
  string: string;
  duration: number;
  bytes: number;
  int: number;
  number: number;
  bool: boolean;
  list: string[];
  map: Record<string, string>;
  policy: SchedulePolicy | null;
}

export type SettingKind = keyof SettingKindValues;
type Kind = SettingKind;

interface SettingSpec {
  env: string;
  kind: Kind;
  default: string;
  description: string;
  /** Inclusive bounds for numbers and durations (in ms). */
  min?: number;
  max?: number;
  /** A password or token: never printed (`tdm config` and logs show it redacted). */
  secret?: boolean;
}

/** Every setting. Keys are the field names of `Config` (durations without the `Ms` suffix). */
export const SETTINGS = {
  natsUrl: {
    env: 'NATS_URL',
    kind: 'list',
    default: '',
    description:
      'NATS server URL(s), comma-separated. Empty: `tdm up`/`tdm demo` start a nats-server child process with JetStream under the data folder.',
  },
  natsUser: {
    env: 'NATS_USER',
    kind: 'string',
    default: '',
    description:
      'NATS user name (with NATS_PASSWORD). Give at most one kind of NATS credential: user/password, NATS_TOKEN, NATS_NKEY or NATS_CREDS.',
  },
  natsPassword: {
    env: 'NATS_PASSWORD',
    kind: 'string',
    default: '',
    secret: true,
    description: 'Password of NATS_USER.',
  },
  natsToken: {
    env: 'NATS_TOKEN',
    kind: 'string',
    default: '',
    secret: true,
    description: 'NATS authentication token.',
  },
  natsNkey: {
    env: 'NATS_NKEY',
    kind: 'string',
    default: '',
    description: 'File holding the NKey seed (`SU…`) to authenticate to NATS with.',
  },
  natsCreds: {
    env: 'NATS_CREDS',
    kind: 'string',
    default: '',
    description: 'A NATS `.creds` file (user JWT and seed, decentralised auth).',
  },
  natsCa: {
    env: 'NATS_CA',
    kind: 'string',
    default: '',
    description:
      "CA certificate (PEM) that signs the NATS server's certificate. Any of NATS_CA, NATS_CERT, NATS_KEY turns TLS on (the server's certificate and name are always verified; without NATS_CA against Node's CA store).",
  },
  natsCert: {
    env: 'NATS_CERT',
    kind: 'string',
    default: '',
    description: 'Client certificate (PEM) for a NATS server that verifies clients (with NATS_KEY).',
  },
  natsKey: {
    env: 'NATS_KEY',
    kind: 'string',
    default: '',
    description: 'Private key (PEM) of NATS_CERT.',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    kind: 'string',
    default: '',
    description: 'PostgreSQL URL. Empty: the embedded PostgreSQL (PGlite) in `<dataDir>/pglite`.',
  },
  dataDir: {
    env: 'TDM_DATA_DIR',
    kind: 'string',
    default: './data',
    description: "Folder for the embedded store and the child nats-server's JetStream files.",
  },
  databaseSslMode: {
    env: 'TDM_DATABASE_SSLMODE',
    kind: 'string',
    default: '',
    description:
      'TLS to PostgreSQL when DATABASE_URL has no `sslmode`: `disable`, `require` (encrypted, not verified), `verify-ca` or `verify-full` (certificate and host name verified). Empty: `verify-full` for a host that is not loopback, `disable` for 127.0.0.1, ::1, localhost and Unix sockets. An `sslmode` in the URL wins.',
  },
  databaseSslRootCert: {
    env: 'TDM_DATABASE_SSLROOTCERT',
    kind: 'string',
    default: '',
    description:
      "CA certificate (PEM) that signs PostgreSQL's certificate, when DATABASE_URL has no `sslrootcert`. Empty: Node's CA store.",
  },
  listen: {
    env: 'TDM_LISTEN',
    kind: 'string',
    default: '127.0.0.1:8080',
    description: 'Listen address (`host:port`) of the results service (API and /metrics).',
  },
  tlsCert: {
    env: 'TDM_TLS_CERT',
    kind: 'string',
    default: '',
    description:
      'Certificate chain (PEM) of the API. With TDM_TLS_KEY the results service serves HTTPS only, sends HSTS, and reloads both files when they change (a renewed certificate needs no restart).',
  },
  tlsKey: {
    env: 'TDM_TLS_KEY',
    kind: 'string',
    default: '',
    description: 'Private key (PEM) of TDM_TLS_CERT.',
  },
  auth: {
    env: 'TDM_AUTH',
    kind: 'bool',
    default: 'true',
    description:
      'Require a bearer token on every `/v1` route (docs/security.md). `off` is accepted only when TDM_LISTEN is a loopback address.',
  },
  adminToken: {
    env: 'TDM_ADMIN_TOKEN',
    kind: 'string',
    default: '',
    description:
      'An operator-chosen admin token (at least 32 characters) the results service accepts besides the tokens in the store. Empty: none (the first start then writes a generated one to `<dataDir>/admin.token`).',
  },
  adminTokenFile: {
    env: 'TDM_ADMIN_TOKEN_FILE',
    kind: 'string',
    default: '',
    description:
      'File holding the admin token (e.g. a mounted Kubernetes Secret); read at start, surrounding whitespace dropped. Used when TDM_ADMIN_TOKEN is empty.',
  },
  metricsToken: {
    env: 'TDM_METRICS_TOKEN',
    kind: 'string',
    default: '',
    description:
      'When set, `/metrics` of the results service wants `Authorization: Bearer <this>` (Prometheus `authorization` in the scrape config). Empty: `/metrics` is open (it carries no URL).',
  },
  token: {
    env: 'TDM_TOKEN',
    kind: 'string',
    default: '',
    description:
      'Bearer token the CLI sends to the API (`tdm import --api`, `tdm export --api`, `tdm token`, `tdm audit`). `--token-file` wins over it; empty: TDM_ADMIN_TOKEN[_FILE], else `<dataDir>/admin.token` when it exists.',
  },
  auditRetention: {
    env: 'TDM_AUDIT_RETENTION',
    kind: 'duration',
    default: '400d',
    min: 24 * 3600_000,
    description:
      'How long audit rows (who read which URLs, token changes) are kept; older ones are pruned daily.',
  },
  allowedHosts: {
    env: 'TDM_ALLOWED_HOSTS',
    kind: 'list',
    default: '',
    description:
      'Host names (comma-separated) the API answers to besides `localhost`, IP literals and the TDM_LISTEN host; any other `Host` header gets 421 (`TDM_ERR_HOST_NOT_ALLOWED`), so a web page cannot reach a loopback API through DNS rebinding. Name the service as clients call it (e.g. `tdm-results,tdm-results.tdm.svc.cluster.local`); `*` allows every name.',
  },
  apiBodyLimit: {
    env: 'TDM_API_BODY_LIMIT',
    kind: 'bytes',
    default: '32MiB',
    min: 1024,
    max: 1024 * 1024 * 1024,
    description:
      'Bytes of one POST /v1/reports body at most (JSON is read whole, NDJSON streamed and counted as it arrives); more is 413 `TDM_ERR_BODY_TOO_LARGE`. Other routes take 1 MiB.',
  },
  apiMaxJsonDepth: {
    env: 'TDM_API_MAX_JSON_DEPTH',
    kind: 'int',
    default: '32',
    min: 4,
    max: 10_000,
    description:
      "Brackets nested at most in a JSON body (a batch, its report and the labels are 3); a report or NDJSON line beyond it is that report's `TDM_ERR_JSON_LIMIT`.",
  },
  apiMaxStringLength: {
    env: 'TDM_API_MAX_STRING_LENGTH',
    kind: 'int',
    default: '65536',
    min: 4096,
    max: 1024 * 1024 * 1024,
    description:
      "Characters of one JSON string at most (no report field may be longer than 4 KiB anyway); a longer one is its report's `TDM_ERR_JSON_LIMIT`.",
  },
  apiMaxHeaderBytes: {
    env: 'TDM_API_MAX_HEADER_BYTES',
    kind: 'bytes',
    default: '16KiB',
    min: 1024,
    max: 1024 * 1024,
    description: 'Bytes of request line and headers at most; more is 431 `TDM_ERR_HEADERS_TOO_LARGE`.',
  },
  apiHeadersTimeout: {
    env: 'TDM_API_HEADERS_TIMEOUT',
    kind: 'duration',
    default: '10s',
    min: 100,
    max: 600_000,
    description:
      'Time a client has to send the request headers (a client sending them at 1 byte/s is cut off); checked every second at most. At most TDM_API_REQUEST_TIMEOUT.',
  },
  apiRequestTimeout: {
    env: 'TDM_API_REQUEST_TIMEOUT',
    kind: 'duration',
    default: '2m',
    min: 100,
    max: 3600_000,
    description:
      'Time a client has to send a whole request, body included (32 MiB in 2 minutes is about 2.2 Mbit/s); then 408 `TDM_ERR_REQUEST_TIMEOUT`.',
  },
  apiKeepAliveTimeout: {
    env: 'TDM_API_KEEP_ALIVE_TIMEOUT',
    kind: 'duration',
    default: '5s',
    min: 100,
    max: 600_000,
    description: 'An idle keep-alive connection is closed after this long.',
  },
  apiIdleTimeout: {
    env: 'TDM_API_IDLE_TIMEOUT',
    kind: 'duration',
    default: '1m',
    min: 100,
    max: 3600_000,
    description:
      'A connection on which nothing moves either way (e.g. a client that stops reading an export) is closed after this long.',
  },
  apiMaxConnections: {
    env: 'TDM_API_MAX_CONNECTIONS',
    kind: 'int',
    default: '1000',
    min: 1,
    max: 1_000_000,
    description:
      "Open connections to the API at most; more are closed at once. Keep it below the process's file descriptor limit (`ulimit -n`).",
  },
  apiRateLimit: {
    env: 'TDM_API_RATE_LIMIT',
    kind: 'int',
    default: '1200',
    min: 0,
    max: 1_000_000_000,
    description:
      'Requests to /v1 per TDM_API_RATE_WINDOW at most, per bearer token (per client address without one); more get 429 `TDM_ERR_RATE_LIMITED` with `Retry-After`. 0 = no limit. /healthz, /readyz and /metrics are not limited.',
  },
  apiRateWindow: {
    env: 'TDM_API_RATE_WINDOW',
    kind: 'duration',
    default: '1m',
    min: 1000,
    max: 24 * 3600_000,
    description: 'The window of TDM_API_RATE_LIMIT.',
  },
  metricsListen: {
    env: 'TDM_METRICS_LISTEN',
    kind: 'string',
    default: '127.0.0.1:9464',
    description: 'Listen address of /metrics, /healthz and /readyz for the scheduler and crawler services.',
  },
  checkInterval: {
    env: 'TDM_CHECK_INTERVAL',
    kind: 'duration',
    default: '15m',
    min: 1000,
    max: 366 * 24 * 3600_000,
    description:
      'Fixed interval between checks of an item (1s to days), used when no schedule policy is set.',
  },
  schedulePolicy: {
    env: 'TDM_SCHEDULE_POLICY',
    kind: 'policy',
    default: '',
    description:
      'Optional schedule policy relative to the notice (or report) time, e.g. `5m for 24h, then 1h`. Overrides checkInterval.',
  },
  offlineRecheckInterval: {
    env: 'TDM_OFFLINE_RECHECK_INTERVAL',
    kind: 'duration',
    default: '6h',
    min: 1000,
    max: 366 * 24 * 3600_000,
    description: 'Interval between checks of an item whose removal is confirmed, to catch reappearance.',
  },
  confirmRecheckDelay: {
    env: 'TDM_CONFIRM_RECHECK_DELAY',
    kind: 'duration',
    default: '1m',
    min: 0,
    max: 366 * 24 * 3600_000,
    description:
      'After an unconfirmed offline check, re-check this soon instead of waiting for the regular slot (0 = off; never later than the regular slot).',
  },
  confirmDefinitive: {
    env: 'TDM_CONFIRM_DEFINITIVE',
    kind: 'int',
    default: '2',
    min: 1,
    max: 100,
    description:
      'K1: consecutive offline checks with definitive reasons (404, 410, 451, other 4xx, NXDOMAIN, placeholder, content changed) that confirm a removal.',
  },
  confirmTransient: {
    env: 'TDM_CONFIRM_TRANSIENT',
    kind: 'int',
    default: '4',
    min: 1,
    max: 1000,
    description:
      'K2 (≥ K1): consecutive offline checks that confirm a removal when any of them has a transient reason (5xx, timeout, reset, refused, temporary DNS failure, TLS).',
  },
  confirmTransientMinSpan: {
    env: 'TDM_CONFIRM_TRANSIENT_MIN_SPAN',
    kind: 'duration',
    default: '30m',
    min: 0,
    max: 366 * 24 * 3600_000,
    description: 'A transient run must also span at least this long (first to last check) to confirm.',
  },
  connectTimeout: {
    env: 'TDM_CONNECT_TIMEOUT',
    kind: 'duration',
    default: '10s',
    min: 1,
    max: 600_000,
    description: 'Time allowed for DNS, TCP connect and TLS handshake of one hop.',
  },
  headersTimeout: {
    env: 'TDM_HEADERS_TIMEOUT',
    kind: 'duration',
    default: '15s',
    min: 1,
    max: 600_000,
    description: 'Time allowed from request sent to the complete response headers.',
  },
  checkTimeout: {
    env: 'TDM_CHECK_TIMEOUT',
    kind: 'duration',
    default: '30s',
    min: 1,
    max: 600_000,
    description: 'Time allowed for the whole check: every hop, headers and body.',
  },
  maxBodyBytes: {
    env: 'TDM_MAX_BODY_BYTES',
    kind: 'bytes',
    default: '64MiB',
    min: 1,
    description:
      'Body bytes hashed at most (after decoding); a longer body is cut and hashed as far as read.',
  },
  maxRedirects: {
    env: 'TDM_MAX_REDIRECTS',
    kind: 'int',
    default: '10',
    min: 0,
    max: 100,
    description:
      'Redirects followed at most; a longer chain (or a loop) ends the check offline with reason `too_many_redirects`.',
  },
  maxHeaderBytes: {
    env: 'TDM_MAX_HEADER_BYTES',
    kind: 'bytes',
    default: '256KiB',
    min: 1024,
    max: 16 * 1024 * 1024,
    description:
      "Response header bytes (all headers together) accepted at most; more ends the check offline `connection_reset`. Above Node's 16 KiB on purpose: sites with large cookies and CSP headers pass 16 KiB, and 256 KiB is what Chromium accepts.",
  },
  keepAlive: {
    env: 'TDM_KEEP_ALIVE',
    kind: 'bool',
    default: 'true',
    description:
      'Reuse connections between checks of the same origin (pooled per crawler process). Off: a fresh connection per check (`Connection: close`), as a URL on a host seen for the first time gets.',
  },
  globalConcurrency: {
    env: 'TDM_CONCURRENCY',
    kind: 'int',
    default: '64',
    min: 1,
    max: 100_000,
    description: 'Checks in flight at once per crawler process.',
  },
  domainRate: {
    env: 'TDM_DOMAIN_RATE',
    kind: 'number',
    default: '2',
    min: 0.001,
    max: 100_000,
    description:
      'Checks per second started at most per registrable domain, for the whole cluster: the scheduler books each check a start time 1/rate after the previous one of its domain (in the database, across all schedulers), and every crawler also enforces the rate locally as a guard.',
  },
  domainRates: {
    env: 'TDM_DOMAIN_RATES',
    kind: 'map',
    default: '',
    description:
      'Per-domain rates agreed with large hosts, overriding domainRate for those registrable domains: `bighost.example=50,other.example=10` (checks per second, cluster-wide). `GET /v1/domains` lists the domains whose items cannot be checked on the grid at their rate.',
  },
  domainConcurrency: {
    env: 'TDM_DOMAIN_CONCURRENCY',
    kind: 'int',
    default: '4',
    min: 1,
    max: 10_000,
    description: 'Checks in flight at once per registrable domain, per crawler process.',
  },
  dnsServers: {
    env: 'TDM_DNS_SERVERS',
    kind: 'list',
    default: '',
    description: "DNS servers (`host:port`, comma-separated). Empty: the operating system's resolver.",
  },
  dnsCacheMax: {
    env: 'TDM_DNS_CACHE_MAX',
    kind: 'duration',
    default: '30s',
    min: 0,
    max: 3600_000,
    description:
      'Longest reuse of a DNS answer: each answer is kept for min(its record TTL, this); TTL 0 and failures are never cached, so a name deleted by its hoster is seen as soon as its TTL allows. `0`: no cache.',
  },
  hostMap: {
    env: 'TDM_HOST_MAP',
    kind: 'map',
    default: '',
    description: 'Static `host=address` pairs (comma-separated), consulted before DNS.',
  },
  allowRanges: {
    env: 'TDM_ALLOW_RANGES',
    kind: 'list',
    default: '',
    description:
      'Address ranges (CIDR, comma-separated) that may be fetched besides public unicast. Default: none, so private, loopback, link-local and metadata addresses are refused.',
  },
  userAgent: {
    env: 'TDM_USER_AGENT',
    kind: 'string',
    // An ordinary desktop browser's: a hoster that recognises the monitor could answer 404
    // to it alone and fake a removal (cloaking). docs/design.md says more.
    default:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
    description:
      'User-Agent header of every check (HTTP and browser mode). The default is an ordinary desktop browser, so that a hoster cannot answer the monitor alone with a fake 404 (cloaking); set your own if your notices promise one.',
  },
  placeholderSha256: {
    env: 'TDM_PLACEHOLDER_SHA256',
    kind: 'list',
    default: '',
    description:
      'SHA-256 hashes (hex, comma-separated) of known "removed" images or pages: a body with one of them is `placeholder`.',
  },
  placeholderUrlPatterns: {
    env: 'TDM_PLACEHOLDER_URL_PATTERNS',
    kind: 'list',
    default: '',
    description:
      'Extra regular expressions (comma-separated) for redirect targets that mean "removed" (added to the shipped list).',
  },
  hosterFile: {
    env: 'TDM_HOSTER_FILE',
    kind: 'string',
    default: '',
    description:
      "CSV of `cidr,hoster` lines naming the hosting company of address ranges (longest prefix wins; `#` comments). Each item's `hoster` is the hoster of the address it was last served from. Empty: `hoster` stays null. Read by the results service at start.",
  },
  deadline: {
    env: 'TDM_DEADLINE',
    kind: 'duration',
    default: '24h',
    min: 1000,
    max: 366 * 24 * 3600_000,
    description:
      'Removal deadline after the notice (or report) time for reports that carry no `deadlineAt`/`deadline` of their own. Fixed per report when it is stored.',
  },
  deadlineBySource: {
    env: 'TDM_DEADLINE_BY_SOURCE',
    kind: 'map',
    default: '',
    description:
      'Deadlines per report `source` (`source=duration`, comma-separated, e.g. `regulator=1h,hotline=24h`), overriding TDM_DEADLINE for that source.',
  },
  checkLog: {
    env: 'TDM_CHECK_LOG',
    kind: 'bool',
    default: 'true',
    description:
      'Keep the raw check log (time-partitioned by day). Off: the database grows with transitions only.',
  },
  checkLogRetention: {
    env: 'TDM_CHECK_LOG_RETENTION',
    kind: 'duration',
    default: '30d',
    min: 24 * 3600_000,
    description: 'Days of the raw check log kept; older daily partitions are dropped.',
  },
  schedulerBatch: {
    env: 'TDM_SCHEDULER_BATCH',
    kind: 'int',
    default: '500',
    min: 1,
    max: 100_000,
    description: 'Due items claimed per database round trip.',
  },
  schedulerTick: {
    env: 'TDM_SCHEDULER_TICK',
    kind: 'duration',
    default: '50ms',
    min: 10,
    max: 60_000,
    description:
      'How often the scheduler looks for due items when it found none. A due item waits up to one tick before it is claimed, so this bounds schedule lateness (50 ms: p99 under 250 ms at half load, see docs/performance.md); an empty claim is one indexed query.',
  },
  maxPendingJobs: {
    env: 'TDM_MAX_PENDING_JOBS',
    kind: 'int',
    default: '20000',
    min: 1,
    description:
      'The scheduler stops claiming while the TDM_CHECKS stream holds more jobs than this (backpressure).',
  },
  jobAckWait: {
    env: 'TDM_JOB_ACK_WAIT',
    kind: 'duration',
    default: '90s',
    min: 1000,
    max: 3600_000,
    description:
      'JetStream AckWait of check jobs: a job not acked by then is redelivered (must exceed checkTimeout).',
  },
  resultAckWait: {
    env: 'TDM_RESULT_ACK_WAIT',
    kind: 'duration',
    default: '60s',
    min: 1000,
    max: 3600_000,
    description:
      'JetStream AckWait of check results: results a crashed results service had pulled and not stored come back after this long (a running batch extends it, so a slow database is no reason to raise it).',
  },
  jobMaxDeliver: {
    env: 'TDM_JOB_MAX_DELIVER',
    kind: 'int',
    default: '5',
    min: 1,
    max: 1000,
    description:
      'JetStream MaxDeliver of check jobs: after this many tries a job is dropped (the next slot checks again).',
  },
  natsReconnectWait: {
    env: 'TDM_NATS_RECONNECT_WAIT',
    kind: 'duration',
    default: '250ms',
    min: 10,
    max: 60_000,
    description:
      'Wait between attempts to reconnect to NATS, plus a random 0…natsReconnectJitter: short, so a restarted server is found within about half a second (the grid resumes within one interval + 1 s); raise both for very large fleets.',
  },
  natsReconnectJitter: {
    env: 'TDM_NATS_RECONNECT_JITTER',
    kind: 'duration',
    default: '250ms',
    min: 0,
    max: 60_000,
    description: 'Largest random addition to natsReconnectWait, so that a fleet does not reconnect in step.',
  },
  streamReplicas: {
    env: 'TDM_STREAM_REPLICAS',
    kind: 'int',
    default: '1',
    min: 1,
    max: 5,
    description:
      'Replicas of the JetStream streams and consumers: 1 on a single server (the embedded one), 3 on a JetStream cluster of three (the k8s manifests), so that losing a server loses no job or result. Applied when the streams are created or updated.',
  },
  crawlers: {
    env: 'TDM_CRAWLERS',
    kind: 'int',
    default: '1',
    min: 1,
    max: 64,
    description: 'Crawler workers started by `tdm up`.',
  },
  workerId: {
    env: 'TDM_WORKER_ID',
    kind: 'string',
    default: '',
    description: 'Name of this worker in check results and logs. Empty: host name and process id.',
  },
  browserPages: {
    env: 'TDM_BROWSER_PAGES',
    kind: 'int',
    default: '2',
    min: 1,
    max: 64,
    description:
      'Pages a browser-mode crawler checks at once (each in a fresh context of one Chromium); its job pull is bounded by the same number. A page costs ~50–150 MB.',
  },
  chromiumPath: {
    env: 'TDM_CHROMIUM_PATH',
    kind: 'string',
    default: '/usr/bin/chromium',
    description:
      'Chromium executable for `mode: "browser"` checks (the system package; never a downloaded browser).',
  },
  logLevel: {
    env: 'TDM_LOG_LEVEL',
    kind: 'string',
    default: 'info',
    description: 'pino log level: trace, debug, info, warn, error, fatal, silent.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

type Settings = typeof SETTINGS;

/** The field name in `Config` of setting `N`: durations get the `Ms` suffix (`checkInterval` → `checkIntervalMs`). */
export type ConfigField<N extends SettingName> = N extends SettingName
  ? Settings[N]['kind'] extends 'duration'
    ? `${N}Ms`
    : N
  : never;

/**
 * The compiled configuration: one field per setting (named by ConfigField), typed by its
 * kind (SettingKindValues): durations in ms, sizes in bytes, lists as arrays. Derived from
 * SETTINGS, so adding a setting is one entry there.
 */
export type Config = {
  -readonly [N in SettingName as ConfigField<N>]: SettingKindValues[Settings[N]['kind']];
};

function parseList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** `key=value` pairs; host names (TDM_HOST_MAP) are case-insensitive, so their keys are lower-cased. */
function parseMap(text: string, env: string, lowerKeys: boolean): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of parseList(text)) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      throw new ConfigError(`${env}: expected ${lowerKeys ? 'host=address' : 'source=value'}, got "${pair}"`);
    const key = pair.slice(0, eq).trim();
    map[lowerKeys ? key.toLowerCase() : key] = pair.slice(eq + 1).trim();
  }
  return map;
}

function checkBounds(name: string, spec: SettingSpec, value: number): number {
  if (!Number.isFinite(value)) throw new ConfigError(`${spec.env} (${name}): not a number`);
  if (spec.min !== undefined && value < spec.min)
    throw new ConfigError(`${spec.env} (${name}): ${value} is below ${spec.min}`);
  if (spec.max !== undefined && value > spec.max)
    throw new ConfigError(`${spec.env} (${name}): ${value} is above ${spec.max}`);
  return value;
}

type Compiler<K extends Kind> = (raw: string, name: string, spec: SettingSpec) => SettingKindValues[K];

/** One compiler per kind; the mapped type makes each return its kind's value type. */
const COMPILERS: { [K in Kind]: Compiler<K> } = {
  string: (raw) => raw,
  duration: (raw, name, spec) => checkBounds(name, spec, parseDuration(raw)),
  bytes: (raw, name, spec) => checkBounds(name, spec, parseBytes(raw)),
  int: (raw, name, spec) => {
    if (!/^\s*-?\d+\s*$/.test(raw)) throw new ConfigError(`not an integer: "${raw}"`);
    return checkBounds(name, spec, Number(raw));
  },
  number: (raw, name, spec) => checkBounds(name, spec, Number(raw)),
  bool: (raw) => {
    const lower = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    throw new ConfigError(`not a boolean: "${raw}"`);
  },
  list: (raw) => parseList(raw),
  map: (raw, name, spec) => parseMap(raw, spec.env, name === 'hostMap'),
  policy: (raw) => (raw.trim() === '' ? null : parseSchedulePolicy(raw)),
};

function compileValue(name: string, spec: SettingSpec, raw: string): SettingKindValues[Kind] {
  try {
    return COMPILERS[spec.kind](raw, name, spec);
  } catch (error) {
    if (error instanceof ConfigError && !error.message.startsWith(spec.env)) {
      throw new ConfigError(`${spec.env} (${name}): ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Field name in `Config` for a setting: durations get the `Ms` suffix. */
export function configField<N extends SettingName>(name: N): ConfigField<N> {
  const spec: SettingSpec = SETTINGS[name];
  return (spec.kind === 'duration' ? `${name}Ms` : name) as ConfigField<N>;
}

export interface LoadConfigOptions {
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** JSON config file: an object keyed by setting name or env var name. Default: `$TDM_CONFIG`. */
  file?: string;
  /** Values that win over everything (used by tests and `tdm demo`), keyed by setting name. */
  overrides?: Partial<Record<SettingName, string | number | boolean>>;
}

/** Precedence: overrides > environment > config file > default. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env['TDM_CONFIG'];
  let fileValues: Record<string, unknown> = {};
  if (filePath) {
    try {
      fileValues = JSON.parse(readFileSync(filePath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`cannot read config file ${filePath}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) {
      throw new ConfigError(`config file ${filePath}: expected a JSON object of settings`);
    }
    for (const key of Object.keys(fileValues)) {
      const known = key in SETTINGS || Object.values(SETTINGS).some((spec) => spec.env === key);
      if (!known) throw new ConfigError(`config file ${filePath}: unknown setting "${key}"`);
    }
  }
  const config: Record<string, SettingKindValues[Kind]> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const spec: SettingSpec = SETTINGS[name];
    const override = options.overrides?.[name];
    const fromFile = fileValues[name] ?? fileValues[spec.env];
    const raw =
      override !== undefined
        ? String(override)
        : env[spec.env] !== undefined
          ? (env[spec.env] as string)
          : fromFile !== undefined
            ? Array.isArray(fromFile)
              ? fromFile.join(',')
              : typeof fromFile === 'object' && fromFile !== null
                ? Object.entries(fromFile)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(',')
                : String(fromFile)
            : spec.default;
    config[configField(name)] = compileValue(name, spec, raw);
  }
  // Each field is COMPILERS[kind] of its setting, so of SettingKindValues[kind]: the type
  // Config derives for it. (A loop over the table cannot show that to the compiler.)
  const compiled = config as Config;
  compileDeadlinePolicy(compiled.deadlineMs, compiled.deadlineBySource); // throws on a bad duration
  if (compiled.confirmTransient < compiled.confirmDefinitive) {
    throw new ConfigError(
      `TDM_CONFIRM_TRANSIENT (${compiled.confirmTransient}) must be at least TDM_CONFIRM_DEFINITIVE (${compiled.confirmDefinitive})`,
    );
  }
  // A job whose ack wait ends while its check may still run would be redelivered and
  // checked twice, so the ack wait must outlast the whole check.
  if (compiled.jobAckWaitMs <= compiled.checkTimeoutMs) {
    throw new ConfigError(
      `TDM_JOB_ACK_WAIT (${compiled.jobAckWaitMs}ms) must be longer than TDM_CHECK_TIMEOUT (${compiled.checkTimeoutMs}ms)`,
    );
  }
  if (compiled.adminToken !== '' && compiled.adminToken.trim().length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `TDM_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it is the key to every URL)`,
    );
  }
  if (!compiled.auth && !isLoopbackListen(compiled.listen)) {
    throw new ConfigError(
      `TDM_AUTH=off is refused: TDM_LISTEN (${compiled.listen}) is not a loopback address, so anyone who reaches the port could read every URL`,
    );
  }
  // Node refuses a headers timeout longer than the request timeout.
  if (compiled.apiHeadersTimeoutMs > compiled.apiRequestTimeoutMs) {
    throw new ConfigError(
      `TDM_API_HEADERS_TIMEOUT (${compiled.apiHeadersTimeoutMs}ms) must not be longer than TDM_API_REQUEST_TIMEOUT (${compiled.apiRequestTimeoutMs}ms)`,
    );
  }
  return compiled;
}

/** Shortest operator-chosen admin token accepted. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** True when a `host:port` listen address binds loopback only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackListen(listen: string): boolean {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):\d+$/.exec(listen.trim());
  if (!match) return false;
  const host = (match[1] ?? match[2] ?? '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The configuration reference page (docs/configuration.md), generated from SETTINGS. */
export function configurationMarkdown(): string {
  const lines = [
    '# Configuration',
    '',
    'Generated from `libs/core/src/config.ts` by `tdm config --markdown`; a test keeps it in sync.',
    '',
    'Every setting can be given as an environment variable or in a JSON file named by `TDM_CONFIG`',
    '(keys: the setting name or the variable name). Precedence: command-line overrides, then the',
    'environment, then the file, then the default. Durations take `ms`, `s`, `m`, `h`, `d`, `w`',
    '(`1h30m`; a bare number is milliseconds); sizes take `KiB`, `MiB`, `GiB`, `KB`, `MB`, `GB`.',
    '',
    '| Setting | Variable | Kind | Default | Description |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, spec] of Object.entries(SETTINGS) as Array<[string, SettingSpec]>) {
    const def = spec.default === '' ? '(empty)' : `\`${spec.default}\``;
    lines.push(
      `| \`${name}\` | \`${spec.env}\` | ${spec.kind} | ${def} | ${spec.description.replace(/\|/g, '\\|')} |`,
    );
  }
  return lines.join('\n') + '\n';
}
