import type { Redis } from 'ioredis'
import { createBreaker, type Breaker } from '../cache/breaker.ts'

/**
 * Fixed-window request limits (per token, per IP) counted in Redis so every replica
 * shares them; in-process when there is no Redis or while its breaker is open.
 */
export interface RateLimiter {
  /** Counts one request for `key`; returns the seconds to wait when it is over `limit` per window. */
  hit(key: string, limit: number): Promise<{ ok: true } | { ok: false; retryAfterS: number }>
}

export interface RateLimitOptions {
  redis?: Redis
  windowMs?: number
  breaker?: Breaker
  now?: () => number
}

export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const { redis, windowMs = 1000, now = Date.now } = options
  const breaker = options.breaker ?? createBreaker()
  const local = new Map<string, number>()
  let localWindow = 0

  const countLocally = (key: string, window: number) => {
    if (window !== localWindow) (local.clear(), (localWindow = window))
    const n = (local.get(key) ?? 0) + 1
    local.set(key, n)
    return n
  }

  async function count(key: string, window: number): Promise<number> {
    if (!redis || !breaker.allow()) return countLocally(key, window)
    const redisKey = `lh:rl:${key}:${window}`
    try {
      const [[, n]] = (await redis.multi().incr(redisKey).pexpire(redisKey, windowMs * 2).exec()) as [[unknown, number]]
      breaker.success()
      return n
    } catch {
      breaker.failure()
      return countLocally(key, window)
    }
  }

  return {
    async hit(key, limit) {
      const t = now()
      const window = Math.floor(t / windowMs)
      const n = await count(key, window)
      if (n <= limit) return { ok: true }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil(((window + 1) * windowMs - t) / 1000)) }
    },
  }
}
