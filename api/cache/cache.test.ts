import { describe, expect, it } from 'vitest'
import { createCache } from './cache.ts'

describe('read-through cache (in-process L1)', () => {
  it('a failed load fails every caller sharing it, and the next miss loads again', async () => {
    const cache = createCache()
    let loads = 0
    const failing = () => new Promise<string>((_, reject) => setTimeout(() => (loads++, reject(new Error('boom'))), 20))
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.get('k', 10, failing)))
    expect(loads).toBe(1)
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'))
    const ok = await cache.get('k', 10, async () => (loads++, '{"x":1}'))
    expect([loads, ok.value, ok.outcome]).toEqual([2, '{"x":1}', 'MISS'])
    expect((await cache.get('k', 10, failing)).outcome).toBe('HIT')
    expect(cache.metrics()).toMatch(/livehouse_history_cache_errors_total\{kind="query"\} 1\n/)
  })
})
