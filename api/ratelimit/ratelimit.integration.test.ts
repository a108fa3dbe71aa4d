import { afterAll, describe, expect, it } from 'vitest'
import { createRedis } from '../cache/redis.ts'
import { createRateLimiter } from './ratelimit.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')
const redis = createRedis(redisUrl)
afterAll(() => redis.disconnect())

describe('rate limiter shared through Redis', () => {
  it('one replica sees the requests another counted, once they have synced', async () => {
    const now = () => 5_000_000 // one fixed window for both replicas
    const key = `sub:replicas-${process.pid}-${Date.now()}`
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r))
    const a = createRateLimiter({ redis, now })
    const b = createRateLimiter({ redis, now })
    for (let i = 0; i < 4; i++) expect(a.hit(key, 5).ok).toBe(true)
    await a.flush()
    expect(Number(await redis.get(`lh:rl:${key}:5000`))).toBe(4)
    expect(b.hit(key, 5).ok).toBe(true) // b has not synced yet: its own count is 1
    await b.flush() // b learns that a counted 4
    expect(b.hit(key, 5)).toEqual({ ok: false, retryAfterS: 1 })
    expect(Number(await redis.get(`lh:rl:${key}:5000`))).toBe(5)
  })
})
