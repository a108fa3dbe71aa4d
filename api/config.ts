import { z } from 'zod'

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
  AUTH_SECRET: z.string().default('').describe('HS256 secret for JWTs; embedded mode generates one when unset'),
  DEMO_RATE: z.coerce.number().min(0).max(1_000_000).default(2000)
    .describe('Demo generator events/s (0 = off)'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Log level'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl.describe('OTLP endpoint for traces; unset = tracing off'),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(16 * 1024 * 1024)
    .describe('Largest accepted HTTP request body (after gzip decoding, per request)'),
  INGEST_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(0)
    .describe('Longest wait before a batch is written: an INSERT (embedded, and dead letters) or a Kafka send (KAFKA_BROKERS set); 0 = follow the live tick: batches are stored just before each LIVE_TICK_MS tick while a live channel is watched, every INGEST_QUIET_FLUSH_MS otherwise (a Kafka send, which makes no part, waits 50 ms)'),
  INGEST_QUIET_FLUSH_MS: z.coerce.number().int().min(10).max(10_000).default(500)
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
  LIVE_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(250)
    .describe('Live query tick'),
  LIVE_TICK_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(2)
    .describe('ClickHouse connections a live tick runs its queries on, in parallel'),
  RATE_LIMIT_TOKEN_PER_S: z.coerce.number().int().min(0).default(100)
    .describe('Requests per second per token subject on every authenticated /api/v1 route: catalog, SQL, dashboards (0 = unlimited); 429 with Retry-After above'),
  RATE_LIMIT_IP_PER_S: z.coerce.number().int().min(0).default(200)
    .describe('Requests per second per TCP peer address on the same routes, counted before authentication (0 = unlimited); behind a proxy every client shares its address'),
  CORS_ORIGINS: z.string().trim().default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .describe('Comma-separated origins allowed to call /api/v1 from a browser (* = any; empty = same origin only)'),
  CACHE_L1_ENTRIES: z.coerce.number().int().min(0).default(10_000)
    .describe('Entries of the in-process cache in front of Redis'),
  CACHE_NAMESPACE: z.string().regex(/^[\w.:-]{0,64}$/).default('')
    .describe('Prefix of every Redis key (cache, rate limits, live queries), for environments sharing one Redis'),
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
  if (!config.embedded && !config.AUTH_SECRET) {
    throw new Error('invalid configuration:\n  AUTH_SECRET: required when CLICKHOUSE_URL is set (distributed mode)')
  }
  return config
}
