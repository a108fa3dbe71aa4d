import { z } from 'zod'
import { isRole, roles, type Role } from '../core/roles.ts'

/**
 * Every environment variable Livehouse reads, with its default and meaning. The
 * README's configuration table is generated from this list (`npm run docs:config`),
 * and nothing below the entry point reads `process.env`.
 */
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined)
  .pipe(z.url().optional())

const port = z.coerce.number().int().min(0).max(65535)

/** A comma-separated list; empty items dropped. */
const list = z.string().trim().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))

/** `a=trader,b=admin` → { a: 'trader', b: 'admin' }, each target a known role. */
function parseRoleMap(v: string, ctx: z.RefinementCtx): Record<string, Role> {
  const map: Record<string, Role> = {}
  for (const pair of v.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = pair.lastIndexOf('=')
    const target = pair.slice(i + 1).trim()
    if (i <= 0 || !isRole(target)) {
      ctx.addIssue({ code: 'custom', message: `expected idp-role=livehouse-role with one of ${roles.join(', ')}: ${pair}` })
      return z.NEVER
    }
    map[pair.slice(0, i).trim()] = target
  }
  return map
}

export const configSchema = z.object({
  PORT: port.default(8080).describe('HTTP + WebSocket port of the gateway'),
  HOST: z.string().default('0.0.0.0').describe('Interface the gateway binds to'),
  SQL_PORT: z.coerce.number().int().min(0).max(65535).default(8123)
    .describe('Read-only ClickHouse HTTP interface for analysts (0 = off)'),
  DATA_DIR: z.string().min(1).default('./data').describe('Embedded ClickHouse (chDB) data directory'),
  CLICKHOUSE_URL: optionalUrl.describe('ClickHouse server URL; unset = embedded chDB'),
  CLICKHOUSE_USER: z.string().default('default').describe('ClickHouse server user'),
  CLICKHOUSE_PASSWORD: z.string().default('').describe('ClickHouse server password'),
  KAFKA_BROKERS: z
    .string()
    .trim()
    .default('')
    .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port[,host:port…]')))
    .describe('Comma-separated Kafka brokers; set = ingest through Kafka'),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[\w.-]*$/).default('livehouse.')
    .describe('Prefix of the per-stream Kafka topics (<prefix>trades, …)'),
  REDIS_URL: optionalUrl.describe('Redis URL for the shared cache, rate limits and live-query fan-out'),
  // Authentication (docs/auth.md): HS256 with a shared secret, and/or an identity provider's JWKS.
  AUTH_SECRET: z.string().default('')
    .describe('HS256 secret for Livehouse\'s own tokens (npm run token); embedded mode without it generates one and keeps it in DATA_DIR/auth-secret'),
  AUTH_JWKS_URL: optionalUrl.describe('JWKS URL of an identity provider: RS256/ES256 tokens are verified against its keys (cached; refetched for an unknown kid)'),
  AUTH_ISSUER: z.string().trim().default('').describe('Required `iss` of identity-provider tokens (needed with AUTH_JWKS_URL)'),
  AUTH_AUDIENCE: z.string().trim().default('').describe('Required `aud` of identity-provider tokens (comma-separated: any of them; needed with AUTH_JWKS_URL)'),
  AUTH_ALGORITHMS: list.pipe(z.array(z.enum(['RS256', 'ES256', 'PS256'])).min(1)).default(['RS256', 'ES256'])
    .describe('Signature algorithms accepted from the identity provider (HS256 is only ever checked against AUTH_SECRET)'),
  AUTH_CLAIM_SUB: z.string().trim().min(1).default('sub').describe('Claim holding the user id (dashboards and alerts are kept per user)'),
  AUTH_CLAIM_ROLES: list.pipe(z.array(z.string().min(1)).min(1)).default(['roles'])
    .describe('Claims holding role names, comma-separated, dotted paths allowed: roles, realm_access.roles, https://example.com/roles'),
  AUTH_CLAIM_SYMBOLS: z.string().trim().min(1).default('symbols').describe('Claim holding the market symbols a token may see (array, or ["*"])'),
  AUTH_CLAIM_SHOPS: z.string().trim().min(1).default('shops').describe('Claim holding the shops a token may see (array, or ["*"])'),
  AUTH_ROLE_MAP: z.string().trim().default('')
    .transform((v, ctx) => parseRoleMap(v, ctx))
    .describe('Identity-provider role names to Livehouse roles, e.g. lh-traders=trader,lh-ops=admin (unmapped names are used as they are)'),
  AUTH_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(600).default(30)
    .describe('Clock skew allowed on exp, nbf and iat, in seconds'),
  AUTH_MAX_TOKEN_BYTES: z.coerce.number().int().min(512).max(1024 * 1024).default(16 * 1024)
    .describe('Longest accepted token; a longer one is refused before it is parsed (401 TOKEN_TOO_LARGE)'),
  AUTH_JWKS_REFRESH_MS: z.coerce.number().int().min(1000).default(600_000)
    .describe('How often the JWKS is fetched again; on failure the keys already fetched stay in use'),
  AUTH_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000).describe('Timeout of one JWKS fetch'),
  AUTH_OIDC_ISSUER: optionalUrl.describe('OpenID Connect issuer the UI signs in with (authorization code + PKCE); unset = no such button'),
  AUTH_OIDC_CLIENT_ID: z.string().trim().default('').describe('The UI\'s client id at AUTH_OIDC_ISSUER (a public client, redirect URI = the UI\'s origin + /)'),
  AUTH_OIDC_SCOPE: z.string().trim().default('openid profile').describe('Scopes the UI asks for (add offline_access where the provider needs it for refresh tokens)'),
  AUTH_OIDC_PARAMS: z.string().trim().default('')
    .describe('Extra query of the authorization request, e.g. audience=https://api.example.com (Auth0) or resource=urn:livehouse (RFC 8707)'),
  AUTH_DEMO: z.enum(['auto', 'on', 'off']).default('auto')
    .describe('One-click demo sign-in per role in the UI (hands out tokens to anyone who can reach the port); auto = on in embedded mode without AUTH_SECRET or AUTH_JWKS_URL'),
  DEMO_RATE: z.coerce.number().min(0).max(1_000_000).default(2000)
    .describe('Demo generator events/s (0 = off)'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Log level'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000)
    .describe('On SIGTERM/SIGINT: how long a graceful stop (flush batches, close connections) may take before the process exits anyway'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl.describe('OTLP endpoint for traces; unset = tracing off'),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(16 * 1024 * 1024)
    .describe('Largest accepted HTTP request body (after gzip decoding, per request)'),
  INGEST_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(0)
    .describe('Longest wait before a batch is written: an INSERT (embedded, and dead letters) or a Kafka send (KAFKA_BROKERS set); 0 = follow the live tick: batches are stored just before each LIVE_TICK_MS tick while a live channel is watched, every INGEST_QUIET_FLUSH_MS otherwise (a Kafka send, which makes no part, waits 50 ms)'),
  INGEST_QUIET_FLUSH_MS: z.coerce.number().int().min(10).max(10_000).default(750)
    .describe('With INGEST_FLUSH_MS=0, the flush slot while no live channel is watched (rounded up to a multiple of LIVE_TICK_MS): fewer INSERTs, so fewer parts to write and merge, at the cost of freshness'),
  INGEST_FLUSH_ROWS: z.coerce.number().int().min(1).default(20_000)
    .describe('Rows pending for one stream that are written at once without waiting for the flush slot (high rates fill batches by size)'),
  INGEST_BATCH_ROWS: z.coerce.number().int().min(1).default(50_000)
    .describe('Rows per write at most: one INSERT or one Kafka send (many messages)'),
  INGEST_MAX_PENDING_ROWS: z.coerce.number().int().min(1).default(500_000)
    .describe('Rows waiting to be written, per stream and for dead letters, before ingestion answers 503 INGEST_BACKPRESSURE'),
  INGEST_MAX_LINES: z.coerce.number().int().min(1).default(100_000)
    .describe('Most NDJSON lines in one ingestion request; more is refused whole with 413 TOO_MANY_LINES before any line is parsed'),
  INGEST_DEDUPLICATION: z.enum(['on', 'off']).default('on')
    .describe('Deduplication tokens on ingestion INSERTs, so a Kafka re-delivery is stored once (docs/events.md); off only to measure its cost'),
  INGEST_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(2)
    .describe('ClickHouse connections for ingestion INSERTs, one pool shared by the streams (embedded) and dead letters: that many INSERTs in flight at once, each on its own connection'),
  INGEST_PARSE_THREADS: z.coerce.number().int().min(0).max(16).default(1)
    .describe('Worker threads validating ingestion bodies, so validation does not hold the main thread that serves live clients; 0 = validate on the main thread'),
  INGEST_PARSE_OFFLOAD: z.enum(['watched', 'always']).default('watched')
    .describe('When bodies go to the parse threads: while a live channel is watched (the main thread then serves live clients; a bulk load without watchers keeps the cheaper in-thread validation, the copy back costing a saturated machine 10–25 % of its throughput), or always'),
  INGEST_PARSE_THREAD_MIN_CHARS: z.coerce.number().int().min(0).default(1024)
    .describe('Bodies shorter than this (characters) are validated on the main thread: handing a body to a thread costs the main thread about as much as validating 5 trade lines (bench/ingest/parse-handoff.ts)'),
  INGEST_SHED_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(50)
    .describe('Overload: a mean event-loop delay above this over a 500 ms step halves the share of ingestion requests admitted while a live client is connected; the others get 503 OVERLOADED with Retry-After (docs/operations.md#overload; 0 = not a signal)'),
  INGEST_SHED_TICK_MS: z.coerce.number().int().min(0).max(600_000).default(1000)
    .describe('Overload: a live tick longer than this sheds ingestion as INGEST_SHED_LOOP_DELAY_MS does (0 = not a signal)'),
  LIVE_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(250)
    .describe('Live query tick'),
  LIVE_TICK_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(2)
    .describe('ClickHouse connections a live tick runs its queries on, in parallel'),
  RATE_LIMIT_TOKEN_PER_S: z.coerce.number().int().min(0).default(100)
    .describe('Requests per second per token subject on every authenticated /api/v1 route: catalog, SQL, dashboards, alerts (0 = unlimited); 429 with Retry-After above'),
  RATE_LIMIT_IP_PER_S: z.coerce.number().int().min(0).default(200)
    .describe('Requests per second per TCP peer address on the same routes, counted before authentication (0 = unlimited); behind a proxy every client shares its address'),
  CORS_ORIGINS: z.string().trim().default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .describe('Comma-separated origins allowed to call /api/v1 from a browser (* = any; empty = same origin only)'),
  CACHE_L1_ENTRIES: z.coerce.number().int().min(0).default(10_000)
    .describe('Entries of the in-process cache in front of Redis'),
  CACHE_NAMESPACE: z.string().regex(/^[\w.:-]{0,64}$/).default('')
    .describe('Prefix of every Redis key (cache, rate limits, live queries), for environments sharing one Redis'),
  INSIGHTS_IDLE_CHECK_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000)
    .describe('Embedded engine: how often to look whether orders arrived and what the insights\' refreshes cost; with no order since the last look (or none at all, at start), the insights\' refreshable views (which re-read up to 90 days of orders) pause until orders arrive, looked for every 5 s while paused (0 = neither pause nor adjust their period)'),
  INSIGHTS_IDLE_REFRESH_MS: z.coerce.number().int().min(1000).max(86_400_000).default(900_000)
    .describe('While the insights\' views are paused for want of new orders, they still run once this often, as their windows move with the clock'),
  INSIGHTS_REFRESH_BUDGET: z.coerce.number().min(0).max(1).default(0.02)
    .describe('Embedded engine: the share of the time the insights\' refreshes may take (their burst\'s duration ÷ their period); as the orders they re-read grow, their period steps from 1 minute up to 60 so the share stays within it (0 = every minute, whatever it costs)'),
  QUERY_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(4)
    .describe('ClickHouse connections for catalog queries (/api/v1/q): that many uncached queries run at once, each on its own connection (embedded: its own chDB session)'),
  CACHE_VERSION_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(1000)
    .refine((v) => v === 0 || v >= 100, '0 (off) or at least 100')
    .describe('How often the gateway reads the data versions (rows per raw table and day) that make cached answers see late events, seen within about twice this; 0 = off (a closed range stays cached for its closed_ttl whatever arrives late)'),
  LIVE_LATENESS_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000)
    .describe('Live queries re-read buckets this far behind their watermark, so late events correct them'),
  LIVE_SNAPSHOT_BUCKETS: z.coerce.number().int().min(1).max(10_000).default(300)
    .describe('Buckets (or tape rows) in a live snapshot'),
  LIVE_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(50)
    .describe('Live subscriptions per WebSocket connection'),
  LIVE_MAX_FRAME_BYTES: z.coerce.number().int().min(256).max(1024 * 1024).default(4096)
    .describe('Largest client WebSocket frame'),
  LIVE_MAX_FRAMES_PER_S: z.coerce.number().int().min(1).max(10_000).default(50)
    .describe('Client WebSocket frames per second per connection'),
  LIVE_TAPE_MAX_PER_S: z.coerce.number().int().min(1).max(100_000).default(50)
    .describe('Trades per second the live trade tape publishes per symbol at most'),
  LIVE_SLOW_CLIENT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024)
    .describe('Buffered bytes above which a WebSocket client is conflated (skips deltas, gets a snapshot)'),
  CLICKHOUSE_ANALYST_USER: z.string().default('').describe('ClickHouse server user the SQL port runs unscoped analysts\' statements as (a readonly profile; empty = CLICKHOUSE_USER)'),
  CLICKHOUSE_ANALYST_PASSWORD: z.string().default('').describe('Password of CLICKHOUSE_ANALYST_USER'),
  CLICKHOUSE_ANALYST_SCOPED_USER: z.string().default('').describe('ClickHouse server user with row policies for analysts scoped to some symbols/shops (deploy/clickhouse/users.xml); empty = scoped analysts refused on the SQL port'),
  CLICKHOUSE_ANALYST_SCOPED_PASSWORD: z.string().default('').describe('Password of CLICKHOUSE_ANALYST_SCOPED_USER'),
  SQL_MAX_EXECUTION_S: z.coerce.number().int().min(1).max(3600).default(60)
    .describe('Analyst SQL port: longest a statement may run (max_execution_time cap)'),
  SQL_MAX_MEMORY_BYTES: z.coerce.number().int().min(16 * 1024 * 1024).default(2 * 1024 ** 3)
    .describe('Analyst SQL port: memory one statement may use (max_memory_usage cap)'),
  SQL_MAX_RESULT_ROWS: z.coerce.number().int().min(1).default(10_000_000)
    .describe('Analyst SQL port: rows one answer may hold (max_result_rows cap)'),
  SQL_MAX_RESULT_BYTES: z.coerce.number().int().min(1024).default(512 * 1024 ** 2)
    .describe('Analyst SQL port: bytes one answer may hold (max_result_bytes cap)'),
  SQL_MAX_THREADS: z.coerce.number().int().min(1).max(64).default(1)
    .describe('Analyst SQL port: threads one statement may use (max_threads cap); the rest of the cores stay with ingestion and live ticks'),
  SQL_MAX_CONCURRENT_QUERIES: z.coerce.number().int().min(1).max(64).default(3)
    .describe('Analyst SQL port: statements running at once, all analysts together; more answer code 202'),
  SQL_MAX_QUERIES_PER_USER: z.coerce.number().int().min(1).max(64).default(2)
    .describe('Analyst SQL port: statements running at once per analyst (token subject); more answer code 202'),
  SQL_SESSION_TIMEOUT_S: z.coerce.number().int().min(1).max(3600).default(60)
    .describe('Analyst SQL port: idle seconds before a session_id session ends (default session_timeout)'),
  SQL_MAX_QUERY_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024)
    .describe('Analyst SQL port: largest statement text (after Content-Encoding decoding)'),
  LIVE_MAX_CLIENT_BUFFER_BYTES: z.coerce.number().int().min(4096).default(8 * 1024 * 1024)
    .describe('Buffered bytes above which a WebSocket client is disconnected'),
  LIVE_MAX_CONNECTIONS_PER_TOKEN: z.coerce.number().int().min(0).default(32)
    .describe('Open WebSocket connections per token subject (0 = unlimited); an upgrade beyond is answered 429 TOO_MANY_CONNECTIONS'),
  LIVE_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(512)
    .describe('Open WebSocket connections per TCP peer address (0 = unlimited); behind a proxy every client shares its address'),
  LIVE_MAX_CHANNELS_PER_TOKEN: z.coerce.number().int().min(0).default(200)
    .describe('Distinct live channels per token subject over all its connections (0 = unlimited); ERROR TOO_MANY_CHANNELS beyond'),
  LIVE_MAX_UNSEEN_CHANNELS_PER_TOKEN: z.coerce.number().int().min(0).default(20)
    .describe('Of those, channels of symbols or shops that have never had an event (0 = unlimited); ERROR NEVER_SEEN beyond'),
  LIVE_MAX_UNSEEN_CHANNELS: z.coerce.number().int().min(0).default(500)
    .describe('Channels of never-seen symbols or shops over all tokens: the live queries they may cost (0 = unlimited)'),
  LIVE_TICK_BUDGET_MS: z.coerce.number().int().min(10).max(600_000).default(1000)
    .describe('A live tick starts no new read after this long; the queries it did not reach are read first in the next tick'),
  // Alerts (api/alerts/, docs/api.md#alerts).
  ALERT_MAX_RULES_PER_USER: z.coerce.number().int().min(1).max(100_000).default(1000)
    .describe('Alert rules one user may own; creating more answers 429 TOO_MANY_RULES'),
  ALERT_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10)
    .describe('Open alert SSE streams per user on one gateway; more answer 429 TOO_MANY_STREAMS'),
  ALERT_WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false', '1', '0', '']).default('false').transform((v) => v === 'true' || v === '1')
    .describe('Let alert webhooks reach loopback, private, link-local (metadata) and reserved addresses'),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000)
    .describe('Time one webhook attempt may take (connect to last byte)'),
  ALERT_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5)
    .describe('Attempts per webhook delivery (network errors, 5xx and 429 are retried)'),
  ALERT_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1000)
    .describe('Wait before the first webhook retry, doubling per attempt'),
  ALERT_ANOMALY_REFRESH_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000)
    .describe('How often the anomaly bands (same hour on previous days) are recomputed in ClickHouse'),
  ALERT_RULES_RELOAD_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000)
    .describe('How often a gateway checks the rules in ClickHouse for changes: a digest of ids and versions, then only the rules that changed (changes on other replicas also arrive through Redis at once)'),
})

export type Config = z.infer<typeof configSchema> & { embedded: boolean }

/** Validates the environment; throws an Error naming every bad key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(configSchema.shape).map((k) => [k, env[k]]))
  const parsed = configSchema.safeParse(known)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid configuration:\n${lines.join('\n')}`)
  }
  const config = { ...parsed.data, embedded: !parsed.data.CLICKHOUSE_URL }
  const problems = authProblems(config)
  if (problems.length) throw new Error(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`)
  return config
}

/** Combinations of AUTH_* keys that cannot work. */
function authProblems(c: Config): string[] {
  const out: string[] = []
  if (!c.embedded && !c.AUTH_SECRET && !c.AUTH_JWKS_URL) out.push('AUTH_SECRET: AUTH_SECRET or AUTH_JWKS_URL is required when CLICKHOUSE_URL is set (distributed mode)')
  if (c.AUTH_JWKS_URL && !c.AUTH_ISSUER) out.push('AUTH_ISSUER: required with AUTH_JWKS_URL (tokens of any other issuer must be refused)')
  if (c.AUTH_JWKS_URL && !c.AUTH_AUDIENCE) out.push('AUTH_AUDIENCE: required with AUTH_JWKS_URL (tokens meant for other services must be refused)')
  if (c.AUTH_OIDC_ISSUER && !c.AUTH_OIDC_CLIENT_ID) out.push('AUTH_OIDC_CLIENT_ID: required with AUTH_OIDC_ISSUER')
  if (c.AUTH_OIDC_ISSUER && !c.AUTH_JWKS_URL) out.push('AUTH_JWKS_URL: required with AUTH_OIDC_ISSUER (the gateway must verify the tokens the UI gets)')
  if (c.AUTH_DEMO === 'on' && (c.AUTH_JWKS_URL || !c.embedded)) out.push('AUTH_DEMO: on only in embedded mode without an identity provider')
  return out
}
