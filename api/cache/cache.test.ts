import { describe, expect, it } from 'vitest'
import { createCache } from './cache.ts'

describe('read-through cache (in-process L1)', () => {
  it('a failed load fails every caller sharing it, and the next miss loads again', async () => {
    const errors: string[] = []
    const lookups: string[] = []
    const cache = createCache({ observe: { lookup: (o) => lookups.push(o), error: (k) => errors.push(k), load() {} } })
    let loads = 0
    const failing = () => new Promise<string>((_, reject) => setTimeout(() => (loads++, reject(new Error('boom'))), 20))
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.get('k', 10, failing)))
    expect(loads).toBe(1)
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'))
    const ok = await cache.get('k', 10, async () => (loads++, '{"x":1}'))
    expect([loads, ok.value, ok.outcome]).toEqual([2, '{"x":1}', 'MISS'])
    expect((await cache.get('k', 10, failing)).outcome).toBe('HIT')
    expect(errors).toEqual(['query'])
    expect(lookups).toEqual([...Array(4).fill('shared'), 'miss', 'l1_hit'])
  })

  it('L1 keeps an entry for its TTL but at most 60 s, so replicas converge on Redis', async () => {
    let now = 1_000_000
    const cache = createCache({ now: () => now })
    let loads = 0
    const load = async () => String(++loads)
    expect((await cache.get('long', 3600, load)).outcome).toBe('MISS')
    expect((await cache.get('short', 5, load)).outcome).toBe('MISS')
    now += 4_999
    expect([(await cache.get('long', 3600, load)).outcome, (await cache.get('short', 5, load)).outcome]).toEqual(['HIT', 'HIT'])
    now += 2 // an entry strictly older than its TTL is gone
    expect((await cache.get('short', 5, load)).outcome).toBe('MISS')
    now += 54_998 // 59.999 s after the first load
    expect((await cache.get('long', 3600, load)).value).toBe('1')
    now += 2
    expect((await cache.get('long', 3600, load))).toMatchObject({ value: '4', outcome: 'MISS' })
  })
})
