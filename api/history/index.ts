import type { ClickHouseClient } from '@clickhouse/client'
import { availableParallelism } from 'node:os'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import type { Redis } from 'ioredis'
import type { ReadinessCheck } from '../app.ts'
import type { Auth } from '../auth.ts'
import { createCache, type Cache, type CacheObserver } from '../cache/cache.ts'
import { createRedis } from '../cache/redis.ts'
import { createDataVersions } from '../cache/versions.ts'
import type { Workload } from '../clickhouse/client.ts'
import { createClientPool, withSessionSettings } from '../clickhouse/pool.ts'
import { createDashboardRoutes } from '../dashboards/routes.ts'
import type { AppEnv } from '../http/middleware.ts'
import { createRateLimiter } from '../ratelimit/ratelimit.ts'
import { createRateLimits, type RateLimits } from '../ratelimit/middleware.ts'
import { loadCatalog } from './catalog.ts'
import { catalogThreads } from './execute.ts'
import { createHistoryRoutes } from './routes.ts'

export interface HistoryConfig {
  REDIS_URL?: string
  RATE_LIMIT_TOKEN_PER_S: number
  RATE_LIMIT_IP_PER_S: number
  CORS_ORIGINS: string[]
  CACHE_L1_ENTRIES: number
  CACHE_NAMESPACE: string
  CACHE_VERSION_POLL_MS: number
  QUERY_CONNECTIONS: number
  /** Set: a ClickHouse server runs the queries on its own cores, with its own max_threads. */
  CLICKHOUSE_URL?: string
}

/** The historical API and dashboards, wired once (see api/livehouse.ts; the analysts' SQL port is api/sql). */
export interface History {
  routes: Hono<AppEnv>[]
  checks: ReadinessCheck[]
  cache: Cache
  /** Request limits for every authenticated route group (api/ratelimit/middleware.ts). */
  limits: RateLimits
  close(): Promise<void>
}

export async function createHistory(o: {
  config: HistoryConfig
  auth: Auth
  /** `lane`: a further connection of the workload (the versions poll has its own). */
  clickhouse: (w: Workload, lane?: number) => ClickHouseClient
  now?: () => number
  /** The cache's counts for /metrics. */
  cacheObserver?: CacheObserver
}): Promise<History> {
  const { config, auth } = o
  const redis: Redis | undefined = config.REDIS_URL ? createRedis(config.REDIS_URL) : undefined
  const cache = createCache({ redis, l1MaxEntries: config.CACHE_L1_ENTRIES, namespace: config.CACHE_NAMESPACE, observe: o.cacheObserver })
  const limiter = createRateLimiter({ redis, namespace: config.CACHE_NAMESPACE })
  const catalog = loadCatalog()
  // Its own connection: a slow catalog query must not hold up the versions every key needs.
  const versions = config.CACHE_VERSION_POLL_MS > 0
    ? createDataVersions({ clickhouse: o.clickhouse('queries', 1), pollMs: config.CACHE_VERSION_POLL_MS, now: o.now, onError: () => o.cacheObserver?.error('versions') })
    : undefined
  await versions?.poll().catch(() => {}) // until one succeeds, keys change every few seconds
  versions?.start()

  const limits = { perTokenPerS: config.RATE_LIMIT_TOKEN_PER_S, perIpPerS: config.RATE_LIMIT_IP_PER_S }
  const rateLimits = createRateLimits(limiter, limits)
  // Catalog queries on lanes 0, 2, 3…: lane 1 is the versions poll's.
  const lanes = Array.from({ length: config.QUERY_CONNECTIONS }, (_, i) => (i === 0 ? 0 : i + 1))
  // Embedded, each lane is a chDB session: its settings are sent once, and its queries share the cores.
  const embedded = !config.CLICKHOUSE_URL
  const api = createHistoryRoutes({
    auth, catalog, cache, limiter, now: o.now, versions, limits,
    clickhouse: createClientPool(lanes.map((lane) => (embedded ? withSessionSettings(o.clickhouse('queries', lane)) : o.clickhouse('queries', lane)))),
    queryThreads: embedded ? catalogThreads(availableParallelism(), config.QUERY_CONNECTIONS) : undefined,
  })
  const dashboards = createDashboardRoutes({ auth, catalog, clickhouse: o.clickhouse('ops'), limits: rateLimits })
  const root = new Hono<AppEnv>()
  if (config.CORS_ORIGINS.length) {
    const origin = config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS
    root.use('/api/v1/*', cors({ origin, allowHeaders: ['Authorization', 'Content-Type', 'Accept'], exposeHeaders: ['X-Cache', 'X-Request-Id', 'Retry-After'], maxAge: 600 }))
  }
  root.route('/', api)
  root.route('/', dashboards)
  return {
    routes: [root],
    checks: redis ? [{ name: 'redis', check: () => cache.check() }] : [],
    cache,
    limits: rateLimits,
    async close() {
      versions?.stop()
      redis?.disconnect()
    },
  }
}
