import type { Redis } from 'ioredis'
import { createRedisBreaker, redisKeyPrefix } from '../cache/redis.ts'

/**
 * Fixed-window request limits (per token, per IP), shared by every replica through
 * Redis. Each request is counted locally at once and decided on the local view
 * (this replica's count plus the other replicas' count as last read from Redis); the
 * local increments go to Redis in one pipeline every 20 ms (INCRBY), whose
 * answers refresh that view. A round trip per request was the largest cost of a
 * cached answer; the price is that replicas see each other's traffic up to one sync
 * late. Without Redis, or while its breaker is open, counting is in-process only.
 */
export interface RateLimiter {
  /** Counts one request for `key`; returns the seconds to wait when it is over `limit` per window. */
  hit(key: string, limit: number): { ok: true } | { ok: false; retryAfterS: number }
  /** Sends the pending counts now (tests, shutdown). */
  flush(): Promise<void>
}

export interface RateLimitOptions {
  redis?: Redis
  /** Prefix of the Redis keys (`CACHE_NAMESPACE`), as the cache's: environments sharing a Redis count apart. */
  namespace?: string
  now?: () => number
}

interface Counter {
  /** This replica's requests in the window. */
  local: number
  /** Of those, already added to Redis. */
  synced: number
  /** The other replicas' requests in the window, as of the last sync. */
  others: number
}

const ok = { ok: true } as const
const windowMs = 1000
const syncIntervalMs = 20

export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const { redis, now = Date.now } = options
  const breaker = createRedisBreaker()
  const prefix = `${redisKeyPrefix(options.namespace)}lh:rl:`
  let counters = new Map<string, Counter>()
  let window = 0
  let timer: NodeJS.Timeout | undefined

  async function sync() {
    timer = undefined
    const owned = counters
    const batch = [...owned].filter(([, c]) => c.local > c.synced).map(([key, c]) => ({ key, c, upTo: c.local, added: c.local - c.synced }))
    if (!redis || !batch.length) return
    const pipeline = redis.pipeline()
    for (const b of batch) {
      const redisKey = `${prefix}${b.key}:${window}`
      pipeline.incrby(redisKey, b.added).pexpire(redisKey, windowMs * 2)
      b.c.synced = b.upTo
    }
    try {
      const replies = (await breaker.execute(() => pipeline.exec())) ?? []
      if (owned !== counters) return // the window moved on while we waited
      batch.forEach((b, i) => {
        const total = Number(replies[i * 2]?.[1] ?? 0)
        b.c.others = Math.max(b.c.others, total - b.upTo)
      })
    } catch {
      // Redis failed or its breaker is open: these counts go with the next sync.
      for (const b of batch) b.c.synced -= b.added
    }
  }

  return {
    hit(key, limit) {
      const t = now()
      const w = Math.floor(t / windowMs)
      if (w !== window) (counters = new Map()), (window = w)
      let c = counters.get(key)
      if (!c) counters.set(key, (c = { local: 0, synced: 0, others: 0 }))
      c.local++
      if (redis && !timer) (timer = setTimeout(sync, syncIntervalMs)).unref()
      if (c.local + c.others <= limit) return ok
      return { ok: false, retryAfterS: Math.max(1, Math.ceil(((w + 1) * windowMs - t) / 1000)) }
    },
    async flush() {
      if (timer) clearTimeout(timer)
      await sync()
    },
  }
}
