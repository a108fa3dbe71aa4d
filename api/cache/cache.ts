import type { Redis } from 'ioredis'
import { createBreaker, type Breaker } from './breaker.ts'
import { createLru } from './lru.ts'
import { redisKeyPrefix } from './redis.ts'

export type CacheOutcome = 'HIT' | 'MISS'

/**
 * One cached result: the value and whatever callers derive from it (the response bytes
 * per format), kept with the L1 entry so a hit re-uses them instead of re-encoding.
 */
export interface CacheEntry {
  value: string
  views: Map<string, Uint8Array>
}

/**
 * Read-through cache: in-process L1, then Redis (when configured), then `load`.
 * Concurrent misses of one key share one load (single flight). Redis errors or
 * slowness only open the breaker: the cache never fails a request.
 */
export interface Cache {
  get(key: string, ttlS: number, load: () => Promise<string>): Promise<CacheEntry & { outcome: CacheOutcome }>
  /** Prometheus text for /metrics. */
  metrics(): string
  check(): Promise<{ ok: boolean; detail?: string }>
  readonly breaker: Breaker
}

export interface CacheOptions {
  redis?: Redis
  l1MaxEntries?: number
  /** Prefix of Redis keys, so environments sharing a Redis do not read each other's results. */
  namespace?: string
  now?: () => number
}

/** L1 keeps an entry at most this long, so replicas converge on Redis's copy. */
const l1MaxTtlMs = 60_000

/** One load shared by concurrent misses of a key. */
interface Flight {
  entry: CacheEntry
  fromRedis: boolean
}

const latencyBucketsMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000]

export function createCache(options: CacheOptions = {}): Cache {
  const { redis } = options
  const l1 = createLru<CacheEntry>(options.l1MaxEntries ?? 10_000, options.now)
  const breaker = createBreaker()
  const flights = new Map<string, Promise<Flight>>()
  const ns = redisKeyPrefix(options.namespace)
  const counts = { l1_hit: 0, redis_hit: 0, miss: 0, shared: 0, redis_error: 0, load_error: 0 }
  const loadHist = latencyBucketsMs.map(() => 0)
  let loadSumMs = 0
  let loads = 0

  async function redisGet(key: string): Promise<string | null> {
    if (!redis || !breaker.allow()) return null
    try {
      const v = await redis.get(ns + key)
      breaker.success()
      return v
    } catch {
      counts.redis_error++
      breaker.failure()
      return null
    }
  }

  function redisSet(key: string, value: string, ttlS: number) {
    if (!redis || !breaker.allow()) return
    redis.set(ns + key, value, 'EX', ttlS).then(
      () => breaker.success(),
      () => (counts.redis_error++, breaker.failure()),
    )
  }

  async function fill(key: string, ttlS: number, load: () => Promise<string>): Promise<Flight> {
    const cached = await redisGet(key)
    if (cached !== null) return { entry: { value: cached, views: new Map() }, fromRedis: true }
    const started = performance.now()
    const value = await load().catch((e) => {
      counts.load_error++
      throw e
    })
    const ms = performance.now() - started
    loads++
    loadSumMs += ms
    latencyBucketsMs.forEach((b, i) => ms <= b && loadHist[i]++)
    redisSet(key, value, ttlS)
    return { entry: { value, views: new Map() }, fromRedis: false }
  }

  return {
    breaker,
    async get(key, ttlS, load) {
      const local = l1.get(key)
      if (local !== undefined) return (counts.l1_hit++, { ...local, outcome: 'HIT' })
      const inFlight = flights.get(key)
      if (inFlight) return (counts.shared++, { ...(await inFlight).entry, outcome: 'MISS' })
      const flight = fill(key, ttlS, load)
      flights.set(key, flight)
      try {
        const { entry, fromRedis } = await flight
        l1.set(key, entry, Math.min(ttlS * 1000, l1MaxTtlMs))
        fromRedis ? counts.redis_hit++ : counts.miss++
        return { ...entry, outcome: fromRedis ? 'HIT' : 'MISS' }
      } finally {
        flights.delete(key)
      }
    },
    async check() {
      if (!redis) return { ok: true, detail: 'no REDIS_URL: in-process cache only' }
      try {
        return { ok: (await redis.ping()) === 'PONG' }
      } catch (e) {
        return { ok: false, detail: (e as Error).message }
      }
    },
    metrics() {
      const lines = [
        '# HELP livehouse_history_cache_requests_total Catalog query lookups by outcome.',
        '# TYPE livehouse_history_cache_requests_total counter',
        ...Object.entries(counts).filter(([k]) => !k.endsWith('error')).map(([k, v]) => `livehouse_history_cache_requests_total{outcome="${k}"} ${v}`),
        '# HELP livehouse_history_cache_hit_ratio Share of lookups answered from L1 or Redis.',
        '# TYPE livehouse_history_cache_hit_ratio gauge',
        `livehouse_history_cache_hit_ratio ${hitRatio(counts)}`,
        '# HELP livehouse_history_cache_errors_total Redis and query failures.',
        '# TYPE livehouse_history_cache_errors_total counter',
        `livehouse_history_cache_errors_total{kind="redis"} ${counts.redis_error}`,
        `livehouse_history_cache_errors_total{kind="query"} ${counts.load_error}`,
        '# HELP livehouse_history_cache_breaker_open 1 while the Redis circuit breaker is open.',
        '# TYPE livehouse_history_cache_breaker_open gauge',
        `livehouse_history_cache_breaker_open ${breaker.state === 'closed' ? 0 : 1}`,
        '# HELP livehouse_history_query_duration_ms ClickHouse time of catalog queries run on a miss.',
        '# TYPE livehouse_history_query_duration_ms histogram',
        ...latencyBucketsMs.map((b, i) => `livehouse_history_query_duration_ms_bucket{le="${b}"} ${loadHist[i]}`),
        `livehouse_history_query_duration_ms_bucket{le="+Inf"} ${loads}`,
        `livehouse_history_query_duration_ms_sum ${loadSumMs.toFixed(3)}`,
        `livehouse_history_query_duration_ms_count ${loads}`,
      ]
      return lines.join('\n') + '\n'
    },
  }
}

function hitRatio(c: { l1_hit: number; redis_hit: number; miss: number; shared: number }) {
  const total = c.l1_hit + c.redis_hit + c.miss + c.shared
  return total ? ((c.l1_hit + c.redis_hit) / total).toFixed(6) : '0'
}
