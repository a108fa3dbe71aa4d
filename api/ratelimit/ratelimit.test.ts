import { describe, expect, it } from 'vitest'
import { createRateLimiter } from './ratelimit.ts'

describe('rate limiter (in-process counting)', () => {
  it('answers at once, allows `limit` per window and then asks to retry within the window', () => {
    let now = 10_000
    const limiter = createRateLimiter({ now: () => now })
    const results = Array.from({ length: 8 }, () => limiter.hit('sub:a', 5))
    expect(results.filter((r) => r.ok)).toHaveLength(5)
    expect(results[7]).toEqual({ ok: false, retryAfterS: 1 })
    expect(limiter.hit('sub:b', 5).ok).toBe(true) // keys are counted apart
    now += 1000 // next window
    expect(limiter.hit('sub:a', 5).ok).toBe(true)
  })
})
