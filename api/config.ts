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
  INGEST_FLUSH_MS: z.coerce.number().int().min(1).max(10_000).default(50)
    .describe('Longest wait before a batch is written: an INSERT (embedded, and dead letters) or a Kafka send (KAFKA_BROKERS set)'),
  INGEST_BATCH_ROWS: z.coerce.number().int().min(1).default(50_000)
    .describe('Rows per write at most: one INSERT or one Kafka send (many messages)'),
  INGEST_MAX_PENDING_ROWS: z.coerce.number().int().min(1).default(500_000)
    .describe('Rows waiting to be written, per stream and for dead letters, before ingestion answers 503 INGEST_BACKPRESSURE'),
  INGEST_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(2)
    .describe('ClickHouse connections for ingestion INSERTs, one pool shared by the streams (embedded) and dead letters: that many INSERTs in flight at once, each on its own connection'),
  LIVE_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(250)
    .describe('Live query tick'),
  LIVE_TICK_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(2)
    .describe('ClickHouse connections a live tick runs its queries on, in parallel'),
  RATE_LIMIT_TOKEN_PER_S: z.coerce.number().int().min(0).default(100)
    .describe('Historical API requests per second per token (0 = unlimited); 429 with Retry-After above'),
  RATE_LIMIT_IP_PER_S: z.coerce.number().int().min(0).default(200)
    .describe('Historical API requests per second per TCP peer address (0 = unlimited); behind a proxy every client shares its address'),
  CORS_ORIGINS: z.string().trim().default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .describe('Comma-separated origins allowed to call /api/v1 from a browser (* = any; empty = same origin only)'),
  CACHE_L1_ENTRIES: z.coerce.number().int().min(0).default(10_000)
    .describe('Entries of the in-process cache in front of Redis'),
  CACHE_NAMESPACE: z.string().regex(/^[\w.:-]{0,64}$/).default('')
    .describe('Prefix of every Redis key (cache, rate limits, live queries), for environments sharing one Redis'),
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
  LIVE_MAX_CLIENT_BUFFER_BYTES: z.coerce.number().int().min(4096).default(8 * 1024 * 1024)
    .describe('Buffered bytes above which a WebSocket client is disconnected'),
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
    .describe('How often a gateway reloads every rule from ClickHouse (changes on other replicas also arrive through Redis at once)'),
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
