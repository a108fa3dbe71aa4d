import type { ClickHouseClient } from '@clickhouse/client'
import type { Hono } from 'hono'
import { createApp, type ReadinessCheck } from './app.ts'
import { createAuth, createDemoTokens, generateSecret, type Auth, type Role } from './auth.ts'
import { createClickHouse, type Workload } from './clickhouse/client.ts'
import { applyMigrations } from './clickhouse/migrate.ts'
import type { Config } from './config.ts'
import type { AppEnv } from './http/middleware.ts'
import { createLogger, type Logger } from './log.ts'
import { serve, type Server } from './transport/uws.ts'
import { createBatcher } from '../ingest/batcher.ts'
import { createClickHouseSink, insertRows } from '../ingest/clickhouse-sink.ts'
import { createKafkaSink } from '../ingest/kafka-sink.ts'
import { createIngestor, createIngestRoutes, type Ingestor } from '../ingest/route.ts'
import type { EventSink } from '../ingest/sink.ts'

/** A running Livehouse: what the entry point prints and what tests drive. */
export interface Livehouse {
  config: Config
  server: Server
  url: string
  auth: Auth
  demoTokens?: Record<Role, string>
  clickhouse: (workload: Workload) => ClickHouseClient
  ingestor: Ingestor
  stop(): Promise<void>
}

/** Everything the gateway needs, wired once; stop() undoes it in reverse order. */
export async function startLivehouse(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): Promise<Livehouse> {
  const clients = new Map<Workload, ClickHouseClient>()
  const clickhouse = (w: Workload) => {
    if (!clients.has(w)) clients.set(w, createClickHouse({ url: config.CLICKHOUSE_URL, user: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD, dataDir: config.DATA_DIR }, w))
    return clients.get(w)!
  }
  const stops: (() => Promise<unknown> | unknown)[] = [() => Promise.all([...clients.values()].map((c) => c.close()))]
  const stop = async () => {
    for (const s of stops.reverse()) await s()
  }
  try {
    const kafka = config.KAFKA_BROKERS.length ? { brokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX } : undefined
    const applied = await applyMigrations(clickhouse('migrations'), { kafka, log: log.info })
    log.info('migrations up to date', { applied: applied.length, engine: config.embedded ? 'chdb' : 'server' })

    const secret = config.AUTH_SECRET || generateSecret()
    const auth = createAuth(secret)
    const demoTokens = config.AUTH_SECRET ? undefined : await createDemoTokens(auth)

    const batching = { flushMs: config.INGEST_FLUSH_MS, batchRows: config.INGEST_BATCH_ROWS, maxPendingRows: config.INGEST_MAX_PENDING_ROWS }
    const sink: EventSink = kafka
      ? await createKafkaSink({ ...batching, ...kafka })
      : createClickHouseSink(clickhouse('ingest'), batching)
    stops.push(() => sink.close())
    const deadLetters = createBatcher((rows) => insertRows(clickhouse('ingest'), 'dead_letters', rows), batching)
    stops.push(() => deadLetters.drain())
    const ingestor = createIngestor({ sink, deadLetters, maxLineBytes: 1024 * 1024 })

    const checks: ReadinessCheck[] = [
      { name: 'clickhouse', check: async () => ({ ok: (await clickhouse('ops').ping()).success }) },
      ...(kafka ? [{ name: 'kafka', check: () => sink.check() }] : []),
    ]
    const routes: Hono<AppEnv>[] = [createIngestRoutes({ auth, sink, deadLetters, maxBodyBytes: config.MAX_BODY_BYTES })]
    const app = createApp({ log, checks, routes })
    const server = await serve({ host: config.HOST, port: config.PORT, fetch: app.fetch, maxBodyBytes: config.MAX_BODY_BYTES })
    stops.push(() => server.close())

    if (config.DEMO_RATE > 0) {
      const { createDemoGenerator } = await import('../ingest/demo/index.ts')
      const demo = createDemoGenerator({ ratePerSecond: config.DEMO_RATE, send: (stream, events) => ingestor.events(stream, events) })
      demo.start()
      stops.push(() => demo.stop())
    }
    const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST
    return { config, server, url: `http://${host}:${server.port}`, auth, demoTokens, clickhouse, ingestor, stop }
  } catch (e) {
    await stop().catch(() => {})
    throw e
  }
}
