import { fileURLToPath } from 'node:url'
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
import { createObservability, type Metrics } from './observability/index.ts'
import { serve, type Server } from './transport/uws.ts'
import { createLiveGateway, type LiveGateway } from './live/gateway.ts'
import { createReplication } from './live/replication.ts'
import { createHistory } from './history/index.ts'
import { createSqlProxyRoutes } from './ui/sql-proxy.ts'
import { createStaticRoutes } from './ui/static.ts'
import { createBatcher, createLanePool } from '../ingest/batcher.ts'
import { createClickHouseSink, insertRows } from '../ingest/clickhouse-sink.ts'
import { createKafkaSink } from '../ingest/kafka-sink.ts'
import { createIngestor, type Ingestor } from '../ingest/ingestor.ts'
import { createIngestRoutes } from './ingest/routes.ts'
import type { EventSink } from '../ingest/sink.ts'

/** The built UI (`npm run build`), served at `/`. */
const uiDist = fileURLToPath(new URL('../ui/dist/', import.meta.url))

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
  live: LiveGateway
  /** The Prometheus registry behind /metrics (api/observability/metrics.ts). */
  metrics: Metrics
  /** The analysts' ClickHouse HTTP interface, when SQL_PORT is not 0. */
  sqlUrl?: string
  stop(): Promise<void>
}

/** Everything the gateway needs, wired once; stop() undoes it in reverse order. */
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
    const applied = await applyMigrations(clickhouse('migrations'), { kafka, log: log.info })
    log.info('migrations up to date', { applied: applied.length, engine: config.embedded ? 'chdb' : 'server' })

    const authSetup = await setupAuth(config, log)
    stops.push(() => authSetup.close())
    const { auth, revocations, demoTokens } = authSetup

    const batching = { flushMs: config.INGEST_FLUSH_MS, batchRows: config.INGEST_BATCH_ROWS, maxPendingRows: config.INGEST_MAX_PENDING_ROWS, onWrite: obs.metrics.observeWrite }
    // One pool of INSERT lanes (lane i = ingest connection i) for the stream and dead-letter batchers.
    const lanes = createLanePool(config.INGEST_CONNECTIONS)
    const kafkaSink = kafka ? await createKafkaSink({ ...batching, ...kafka }) : undefined
    const sink: EventSink = kafkaSink
      ?? createClickHouseSink(Array.from({ length: config.INGEST_CONNECTIONS }, (_, lane) => clickhouse('ingest', lane)), { ...batching, lanes })
    stops.push(() => sink.close())
    const deadLetters = createBatcher((rows, lane) => insertRows(clickhouse('ingest', lane), 'dead_letters', rows), { ...batching, lanes, span: { name: 'clickhouse.insert', attributes: { sink: 'clickhouse', stream: 'dead_letters' } } })
    stops.push(() => deadLetters.drain())
    const ingestor = createIngestor({ sink, deadLetters, onResult: obs.metrics.countIngest })

    const checks: ReadinessCheck[] = [
      { name: 'clickhouse', check: async () => ({ ok: (await clickhouse('ops').ping()).success }) },
      ...(kafkaSink ? [{ name: 'kafka', check: () => kafkaSink.check() }] : []),
    ]
    const history = await createHistory({ config, auth, clickhouse, cacheObserver: obs.metrics.cache })
    stops.push(() => history.close())
    checks.push(...history.checks)
    const routes: Hono<AppEnv>[] = [createAuthRoutes({ auth, revocations, publicConfig: authSetup.publicConfig }),
      createIngestRoutes({ auth, ingestor, maxBodyBytes: config.MAX_BODY_BYTES }), ...history.routes,
      createSqlProxyRoutes({ sqlFetch: history.sqlFetch }), createStaticRoutes({ dir: uiDist })]
    const app = createApp({ log, checks, routes, observe: obs.observe, metrics: obs.metrics })
    const live = createLiveGateway({
      ch: clickhouse('live'), tickClients: Array.from({ length: config.LIVE_TICK_CONNECTIONS }, (_, lane) => clickhouse('live', lane + 1)),
      auth, log, tickMs: config.LIVE_TICK_MS, latenessMs: config.LIVE_LATENESS_MS,
      snapshotBuckets: config.LIVE_SNAPSHOT_BUCKETS, maxSubscriptions: config.LIVE_MAX_SUBSCRIPTIONS,
      maxFrameBytes: config.LIVE_MAX_FRAME_BYTES, maxFramesPerS: config.LIVE_MAX_FRAMES_PER_S, tapeMaxPerS: config.LIVE_TAPE_MAX_PER_S,
      slowClientBytes: config.LIVE_SLOW_CLIENT_BYTES, maxClientBufferBytes: config.LIVE_MAX_CLIENT_BUFFER_BYTES, maxStrikesPerMin: 10,
      onTick: obs.metrics.observeTick,
      // With Redis, gateway replicas share live queries: one leader per channel (api/live/replication.ts).
      ...(config.REDIS_URL && { createScheduler: createReplication({ redisUrl: config.REDIS_URL, namespace: config.CACHE_NAMESPACE, log }) }),
    })
    const server = await serve({ host: config.HOST, port: config.PORT, fetch: app.fetch, maxBodyBytes: config.MAX_BODY_BYTES, websocket: live.websocket })
    stops.push(() => server.close())
    live.attach(server)
    obs.watch({ clickhouse: clickhouse('ops'), live, cacheBreakerOpen: () => history.cache.breaker.state !== 'closed' })
    live.start()
    stops.push(() => live.stop())

    if (config.DEMO_RATE > 0) {
      const { createDemoGenerator } = await import('../ingest/demo/generator.ts')
      const demo = createDemoGenerator({ ratePerSecond: config.DEMO_RATE, send: (stream, events) => ingestor.events(stream, events) })
      demo.start()
      stops.push(() => demo.stop())
    }
    const sqlServer = config.SQL_PORT ? await serve({ host: config.HOST, port: config.SQL_PORT, fetch: history.sqlFetch, maxBodyBytes: config.MAX_BODY_BYTES }) : undefined
    if (sqlServer) stops.push(() => sqlServer.close())
    const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST
    return { config, server, url: `http://${host}:${server.port}`, auth, revocations, tokenWatch: authSetup.tokenWatch, demoTokens, clickhouse, ingestor, live, metrics: obs.metrics, sqlUrl: sqlServer && `http://${host}:${sqlServer.port}`, stop }
  } catch (e) {
    await stop().catch(() => {})
    throw e
  }
}
