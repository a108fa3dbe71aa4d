import { afterAll, describe, expect, it } from 'vitest'
import { createRedis } from '../cache/redis.ts'
import { createRateLimiter } from './ratelimit.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')
// A generous command timeout: these tests are about shared counts, and a loaded machine can take a Redis reply past the 100 ms default.
const redis = createRedis(redisUrl, { commandTimeoutMs: 30_000 })
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

  it('limiters in different namespaces (CACHE_NAMESPACE) do not share counts', async () => {
    const now = () => 6_000_000
    const key = `sub:namespaces-${process.pid}-${Date.now()}`
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r))
    const staging = createRateLimiter({ redis, now, namespace: 'staging' })
    const prod = createRateLimiter({ redis, now, namespace: 'prod' })
    const prodPeer = createRateLimiter({ redis, now, namespace: 'prod' })
    for (let i = 0; i < 5; i++) expect(staging.hit(key, 5).ok).toBe(true)
    await staging.flush()
    expect(Number(await redis.get(`staging:lh:rl:${key}:6000`))).toBe(5)
    expect(prod.hit(key, 5).ok).toBe(true)
    await prod.flush() // learns only prod's count: staging's 5 are not in it
    expect(prod.hit(key, 5).ok).toBe(true)
    await prod.flush()
    expect(Number(await redis.get(`prod:lh:rl:${key}:6000`))).toBe(2)
    expect(await redis.get(`lh:rl:${key}:6000`)).toBeNull()
    // A replica in the same namespace does see prod's count.
    expect(prodPeer.hit(key, 3).ok).toBe(true)
    await prodPeer.flush()
    expect(prodPeer.hit(key, 3)).toEqual({ ok: false, retryAfterS: 1 })
  })
})
