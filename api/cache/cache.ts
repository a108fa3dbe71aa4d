import type { Redis } from 'ioredis'
import { BrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel'
import { createLru } from './lru.ts'
import { createRedisBreaker, redisKeyPrefix } from './redis.ts'

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
  check(): Promise<{ ok: boolean; detail?: string }>
  readonly breaker: CircuitBreakerPolicy
}

export interface CacheOptions {
  redis?: Redis
  l1MaxEntries?: number
  /** Prefix of Redis keys, so environments sharing a Redis do not read each other's results. */
  namespace?: string
  now?: () => number
  /** What /metrics counts (api/observability/metrics.ts `cache`). */
  observe?: CacheObserver
}

/** Where a lookup was answered: L1, Redis, a load of its own, or a load it shared. */
export type LookupOutcome = 'l1_hit' | 'redis_hit' | 'miss' | 'shared'

export interface CacheObserver {
  lookup(outcome: LookupOutcome): void
  /** `versions`: the data-versions poll failed (api/cache/versions.ts). */
  error(kind: 'redis' | 'query' | 'versions'): void
  /** A load's (ClickHouse query's) duration. */
  load(ms: number): void
}

const ignore: CacheObserver = { lookup() {}, error() {}, load() {} }

/** L1 keeps an entry at most this long, so replicas converge on Redis's copy. */
const l1MaxTtlMs = 60_000

/** One load shared by concurrent misses of a key. */
interface Flight {
  entry: CacheEntry
  fromRedis: boolean
}

export function createCache(options: CacheOptions = {}): Cache {
  const { redis } = options
  const l1 = createLru<CacheEntry>(options.l1MaxEntries ?? 10_000, options.now)
  const breaker = createRedisBreaker()
  const flights = new Map<string, Promise<Flight>>()
  const ns = redisKeyPrefix(options.namespace)
  const observe = options.observe ?? ignore

  async function redisGet(key: string): Promise<string | null> {
    if (!redis) return null
    try {
      return await breaker.execute(() => redis.get(ns + key))
    } catch (e) {
      if (!(e instanceof BrokenCircuitError)) observe.error('redis')
      return null
    }
  }

  function redisSet(key: string, value: string, ttlS: number) {
    if (!redis) return
    breaker.execute(() => redis.set(ns + key, value, 'EX', ttlS)).catch((e) => {
      if (!(e instanceof BrokenCircuitError)) observe.error('redis')
    })
  }

  async function fill(key: string, ttlS: number, load: () => Promise<string>): Promise<Flight> {
    const cached = await redisGet(key)
    if (cached !== null) return { entry: { value: cached, views: new Map() }, fromRedis: true }
    const started = performance.now()
    const value = await load().catch((e) => {
      observe.error('query')
      throw e
    })
    observe.load(performance.now() - started)
    redisSet(key, value, ttlS)
    return { entry: { value, views: new Map() }, fromRedis: false }
  }

  return {
    breaker,
    async get(key, ttlS, load) {
      const local = l1.get(key)
      if (local !== undefined) return (observe.lookup('l1_hit'), { ...local, outcome: 'HIT' })
      const inFlight = flights.get(key)
      if (inFlight) return (observe.lookup('shared'), { ...(await inFlight).entry, outcome: 'MISS' })
      const flight = fill(key, ttlS, load)
      flights.set(key, flight)
      try {
        const { entry, fromRedis } = await flight
        l1.set(key, entry, Math.min(ttlS * 1000, l1MaxTtlMs))
        observe.lookup(fromRedis ? 'redis_hit' : 'miss')
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
  }
}
