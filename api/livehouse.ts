import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Hono } from 'hono'
import { createApp, type ReadinessCheck } from './app.ts'
import { type Auth } from './auth.ts'
import { createAuthRoutes } from './auth/routes.ts'
import type { Revocations } from './auth/revocations.ts'
import type { TokenWatch } from './auth/token-watch.ts'
import { setupAuth } from './auth/setup.ts'
import { type Role } from '../core/roles.ts'
import { createClickHouse, type Workload } from './clickhouse/client.ts'
import { applyMigrations } from './clickhouse/migrate.ts'
import type { Config } from './config.ts'
import type { AppEnv } from './http/middleware.ts'
import { createLogger, type Logger } from './log.ts'
import { createObservability, type ConsumerRow, type Metrics } from './observability/index.ts'
import { serve, type Server } from './transport/uws.ts'
import { createLiveGateway, type LiveGateway } from './live/gateway.ts'
import { createReplication } from './live/replication.ts'
import { createAlerts, type Alerts } from './alerts/index.ts'
import { createHistory } from './history/index.ts'
import { createSqlProxyRoutes } from './ui/sql-proxy.ts'
import { createSqlPort } from './sql/index.ts'
import { createStaticRoutes } from './ui/static.ts'
import { createLanePool } from '../ingest/batcher.ts'
import { createClickHouseSink, createDeadLetterBatcher } from '../ingest/clickhouse-sink.ts'
import { createKafkaSink } from '../ingest/kafka-sink.ts'
import { createKafkaConsumer, type KafkaConsumer } from '../ingest/kafka-consumer.ts'
import { createIngestor, type Ingestor } from '../ingest/ingestor.ts'
import { createParsePool } from '../ingest/parse-pool.ts'
import { startRefreshSchedule } from './clickhouse/refresh-schedule.ts'
import { createIngestRoutes } from './ingest/routes.ts'
import { startAdmission, type Admission } from './ingest/admission.ts'
import { createDeadLetterRoutes } from './ingest/dead-letters.ts'
import { createClickHouseIdempotencyStore, createRedisIdempotencyStore } from './ingest/idempotency.ts'
import { breakerClosed, redisKeyPrefix } from './cache/redis.ts'
import type { EventSink } from '../ingest/sink.ts'

/** The built UI (`npm run build`), served at `/`. */
const uiDist = fileURLToPath(new URL('../ui/dist/', import.meta.url))

/** The consumer group reading the stream topics: the Kafka engine's before it, so an upgrade continues from its offsets. */
const kafkaGroup = 'livehouse-clickhouse'

/** A running Livehouse: what the entry point prints and what tests drive. */
export interface Livehouse {
  config: Config
  server: Server
  url: string
  auth: Auth
  /** Revoked token ids, and the hook surfaces with open connections subscribe to (onRevoked). */
  revocations: Revocations
  /** Ends a WebSocket or SSE connection at its token's exp or revocation (docs/auth.md, Revocation). */
  tokenWatch: TokenWatch
  demoTokens?: Record<Role, string>
  /** `lane`: a further connection of the same workload (live ticks run several at once). */
  clickhouse: (workload: Workload, lane?: number) => ClickHouseClient
  ingestor: Ingestor
  /** What sheds ingestion under overload (api/ingest/admission.ts). */
  admission: Admission
  live: LiveGateway
  alerts: Alerts
  /** The Prometheus registry behind /metrics (api/observability/metrics.ts). */
  metrics: Metrics
  /** The analysts' ClickHouse HTTP interface, when SQL_PORT is not 0. */
  sqlUrl?: string
  stop(): Promise<void>
}

/** Everything the gateway needs, wired once; stop() undoes it in reverse order. */
/** Wait before a Kafka send with INGEST_FLUSH_MS=0 (the fixed wait before slots existed). */
const kafkaSendFlushMs = 50

export async function startLivehouse(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): Promise<Livehouse> {
  const clients = new Map<string, ClickHouseClient>()
  const clickhouse = (w: Workload, lane = 0) => {
    const key = `${w}#${lane}`
    if (!clients.has(key)) clients.set(key, createClickHouse({ url: config.CLICKHOUSE_URL, user: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD, dataDir: config.DATA_DIR }, w))
    return clients.get(key)!
  }
  const stops: (() => Promise<unknown> | unknown)[] = [() => Promise.all([...clients.values()].map((c) => c.close()))]
  let stopped: Promise<void> | undefined
  // Once only: a second call (a second signal, a test's afterAll) waits for the first.
  const stop = () =>
    (stopped ??= (async () => {
      for (const s of [...stops].reverse()) await s()
    })())
  try {
    const obs = createObservability({ config, log })
    stops.push(() => obs.stop())
    const kafka = config.KAFKA_BROKERS.length ? { brokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX } : undefined
    const applied = await applyMigrations(clickhouse('migrations'), { kafka: kafka && { ...kafka, groupName: kafkaGroup }, log: log.info })
    log.info('migrations up to date', { applied: applied.length, engine: config.embedded ? 'chdb' : 'server' })

    const authSetup = await setupAuth(config, log)
    stops.push(() => authSetup.close())
    const { auth, revocations, demoTokens } = authSetup

    // Flush slots follow the live tick while someone watches a live channel, a quieter slot otherwise (ingest/batcher.ts).
    let watched = () => false
    const quietSlotMs = Math.ceil(config.INGEST_QUIET_FLUSH_MS / config.LIVE_TICK_MS) * config.LIVE_TICK_MS
    const batching = {
      flushMs: config.INGEST_FLUSH_MS, slotMs: () => (watched() ? config.LIVE_TICK_MS : quietSlotMs), fillRows: config.INGEST_FLUSH_ROWS,
      batchRows: config.INGEST_BATCH_ROWS, maxPendingRows: config.INGEST_MAX_PENDING_ROWS, onWrite: obs.metrics.observeWrite,
    }
    // One pool of INSERT lanes (lane i = ingest connection i) for the stream and dead-letter batchers.
    const lanes = createLanePool(config.INGEST_CONNECTIONS)
    const ingestClients = Array.from({ length: config.INGEST_CONNECTIONS }, (_, lane) => clickhouse('ingest', lane))
    const dedup = config.INGEST_DEDUPLICATION === 'on'
    // A Kafka send makes no part (the consumer's INSERTs do): slots would only add latency to it.
    const kafkaSink = kafka ? await createKafkaSink({ ...batching, flushMs: config.INGEST_FLUSH_MS || kafkaSendFlushMs, ...kafka }) : undefined
    const sink: EventSink = kafkaSink ?? createClickHouseSink(ingestClients, { ...batching, lanes, dedup })
    stops.push(() => sink.close())
    const deadLetters = createDeadLetterBatcher(ingestClients, { ...batching, lanes, dedup })
    stops.push(() => deadLetters.drain())
    // Made below; declared here because admission (next) and alerts read it once it exists.
    let live: LiveGateway | undefined
    // Under overload ingestion gives way first, so watchers keep a bounded latency (docs/operations.md#overload).
    const admission = startAdmission({
      maxLoopDelayMs: config.INGEST_SHED_LOOP_DELAY_MS, maxTickMs: config.INGEST_SHED_TICK_MS,
      watched: () => (live?.stats().connections ?? 0) > 0,
      onChange: (shedding, share, pressure) => log.warn(shedding ? 'overloaded: shedding ingestion' : 'overload over: admitting all ingestion', { share, ...pressure }),
    })
    stops.push(() => admission.stop())
    // By default threads only while a live channel is watched: the copy back costs CPU that bulk loads would pay in throughput.
    const parsePool = createParsePool({
      workers: config.INGEST_PARSE_THREADS, inlineBelowChars: config.INGEST_PARSE_THREAD_MIN_CHARS,
      offload: config.INGEST_PARSE_OFFLOAD === 'always' ? undefined : () => watched(),
      onBroken: (error) => log.error('parse threads cannot start: ingestion bodies are validated on the main thread', { error }),
    })
    stops.push(() => parsePool.close())
    obs.metrics.collectParse(parsePool.stats)
    const ingestor = createIngestor({ sink, deadLetters, parse: parsePool.parse, maxLines: config.INGEST_MAX_LINES, onResult: obs.metrics.countIngest })
    // Kafka mode: this process also consumes the stream topics into ClickHouse (every replica joins one group).
    const consumer: KafkaConsumer | undefined = kafka
      ? await createKafkaConsumer({ ...kafka, groupId: kafkaGroup, chs: ingestClients, lanes, dedup, batchRows: config.INGEST_BATCH_ROWS, parse: parsePool.parse, log })
      : undefined
    if (consumer) stops.push(() => consumer.stop())

    const checks: ReadinessCheck[] = [
      { name: 'clickhouse', check: async () => ({ ok: (await clickhouse('ops').ping()).success }) },
      ...(kafkaSink ? [{ name: 'kafka', check: () => kafkaSink.check() }] : []),
    ]
    // Embedded only: a server's views are the server's business (and shared by every gateway).
    if (!config.CLICKHOUSE_URL && config.INSIGHTS_IDLE_CHECK_MS > 0) {
      const schedule = startRefreshSchedule({
        ch: clickhouse('ops'), checkMs: config.INSIGHTS_IDLE_CHECK_MS, idleRefreshMs: config.INSIGHTS_IDLE_REFRESH_MS, budget: config.INSIGHTS_REFRESH_BUDGET,
        stateFile: join(config.DATA_DIR, 'insights-refresh.json'),
        onError: (error) => log.warn('insights refresh schedule: check failed', { error }),
        onPeriod: (periodMin, spanMs) => log.info('insights refresh period changed', { periodMin, spanMs, budget: config.INSIGHTS_REFRESH_BUDGET }),
      })
      stops.push(() => schedule.stop())
      obs.metrics.collectInsightsRefresh(schedule.stats)
    }
    const history = await createHistory({ config, auth, clickhouse, cacheObserver: obs.metrics.cache })
    stops.push(() => history.close())
    checks.push(...history.checks)
    const sql = await createSqlPort({ config, auth, log, clickhouse })
    stops.push(() => sql.close())
    // With Redis the first answers are shared by every replica; without, they stay in this process's ClickHouse.
    const idempotency = config.REDIS_URL
      ? createRedisIdempotencyStore(config.REDIS_URL, redisKeyPrefix(config.CACHE_NAMESPACE))
      : createClickHouseIdempotencyStore(clickhouse('ops'))
    stops.push(() => idempotency.close())
    // Rules ride on the gateway's live ticks, and the gateway serves the alerts channel: the gateway comes next.
    const alerts = await createAlerts({ config, auth, tokenWatch: authSetup.tokenWatch, isRevoked: (jti) => revocations.isRevoked(jti), log, clickhouse, registry: obs.metrics.registry, limits: history.limits, live: () => live! })
    stops.push(() => alerts.stop())
    const routes: Hono<AppEnv>[] = [createAuthRoutes({ auth, revocations, publicConfig: authSetup.publicConfig }),
      createIngestRoutes({ auth, ingestor, maxBodyBytes: config.MAX_BODY_BYTES, idempotency, admission, log }),
      createDeadLetterRoutes({ auth, ingestor, clickhouse: clickhouse('ops') }), ...history.routes, alerts.routes,
      createSqlProxyRoutes({ sqlFetch: sql.fetch, auth, limits: history.limits }), createStaticRoutes({ dir: uiDist })]
    const app = createApp({ log, checks, routes, observe: obs.observe, metrics: obs.metrics, csp: { identityProvider: config.AUTH_OIDC_ISSUER } })
    live = createLiveGateway({
      ch: clickhouse('live'), tickClients: Array.from({ length: config.LIVE_TICK_CONNECTIONS }, (_, lane) => clickhouse('live', lane + 1)),
      auth, tokenWatch: authSetup.tokenWatch, log, tickMs: config.LIVE_TICK_MS, latenessMs: config.LIVE_LATENESS_MS,
      snapshotBuckets: config.LIVE_SNAPSHOT_BUCKETS, maxSubscriptions: config.LIVE_MAX_SUBSCRIPTIONS,
      maxFrameBytes: config.LIVE_MAX_FRAME_BYTES, maxFramesPerS: config.LIVE_MAX_FRAMES_PER_S, tapeMaxPerS: config.LIVE_TAPE_MAX_PER_S,
      slowClientBytes: config.LIVE_SLOW_CLIENT_BYTES, maxClientBufferBytes: config.LIVE_MAX_CLIENT_BUFFER_BYTES, maxStrikesPerMin: 10,
      maxConnectionsPerToken: config.LIVE_MAX_CONNECTIONS_PER_TOKEN, maxConnectionsPerIp: config.LIVE_MAX_CONNECTIONS_PER_IP,
      maxChannelsPerToken: config.LIVE_MAX_CHANNELS_PER_TOKEN, maxUnseenChannelsPerToken: config.LIVE_MAX_UNSEEN_CHANNELS_PER_TOKEN,
      maxUnseenChannels: config.LIVE_MAX_UNSEEN_CHANNELS, tickBudgetMs: config.LIVE_TICK_BUDGET_MS,
      onTick: (ms) => (obs.metrics.observeTick(ms), admission.observeTick(ms)),
      pushChannels: [alerts.channel],
      // With Redis, gateway replicas share live queries: one leader per channel (api/live/replication.ts).
      ...(config.REDIS_URL && { createScheduler: createReplication({ redisUrl: config.REDIS_URL, namespace: config.CACHE_NAMESPACE, log }) }),
    })
    const server = await serve({ host: config.HOST, port: config.PORT, fetch: app.fetch, maxBodyBytes: config.MAX_BODY_BYTES, websocket: live.websocket })
    stops.push(() => server.close())
    live.attach(server)
    watched = () => live.stats().liveQueries > 0
    obs.watch({ clickhouse: clickhouse('ops'), live, cacheBreakerOpen: () => !breakerClosed(history.cache.breaker), kafkaConsumers: consumer && (() => consumer.stats().map(consumerRow)) })
    live.start()
    stops.push(() => live.stop())
    await alerts.start()

    if (config.DEMO_RATE > 0) {
      const { createDemoGenerator } = await import('../ingest/demo/generator.ts')
      // One batch per stream and live tick, with room for two seconds of them in flight (a send waits for its flush slot).
      const demo = createDemoGenerator({
        ratePerSecond: config.DEMO_RATE, send: (stream, events) => ingestor.events(stream, events),
        tickMs: config.LIVE_TICK_MS, maxInFlight: 3 * Math.ceil(2000 / config.LIVE_TICK_MS),
      })
      demo.start()
      stops.push(() => demo.stop())
    }
    const sqlServer = config.SQL_PORT ? await serve({ host: config.HOST, port: config.SQL_PORT, fetch: sql.fetch, maxBodyBytes: config.MAX_BODY_BYTES }) : undefined
    if (sqlServer) stops.push(() => sqlServer.close())
    const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST
    return { config, server, url: `http://${host}:${server.port}`, auth, revocations, tokenWatch: authSetup.tokenWatch, demoTokens, clickhouse, ingestor, admission, live, alerts, metrics: obs.metrics, sqlUrl: sqlServer && `http://${host}:${sqlServer.port}`, stop }
  } catch (e) {
    await stop().catch(() => {})
    throw e
  }
}

/** The consumer's figures in the shape of system.kafka_consumers rows, as /metrics reports them. */
const consumerRow = (s: ReturnType<KafkaConsumer['stats']>[number]): ConsumerRow => ({
  database: 'default', table: s.table, consumer_id: s.consumer, lag: s.lag, partitions: s.partitions,
  num_messages_read: s.messagesRead, num_commits: s.commits, num_rebalance_revocations: s.rebalances,
  recent_exceptions: s.recentExceptions, last_exception_s: s.lastExceptionS, last_poll_s: s.lastPollS, is_currently_used: 1,
})
