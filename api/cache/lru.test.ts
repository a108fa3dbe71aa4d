import { describe, expect, it } from 'vitest'
import { createLru } from './lru.ts'

describe('LRU with per-entry expiry', () => {
  it('evicts the least recently used entry, not the oldest', () => {
    const lru = createLru<number>(2)
    lru.set('a', 1, 60_000)
    lru.set('b', 2, 60_000)
    expect(lru.get('a')).toBe(1) // a is now the most recent
    lru.set('c', 3, 60_000)
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3])
  })

  it('forgets an entry once its ttl has passed', () => {
    let now = 1_000
    const lru = createLru<string>(10, () => now)
    lru.set('k', 'v', 500)
    now += 500
    expect(lru.get('k')).toBe('v') // lru-cache: stale once strictly older than its ttl
    now += 1
    expect(lru.get('k')).toBeUndefined()
  })

  it('keeps no entry whose ttl is zero or less (a token that expires now)', () => {
    const lru = createLru<string>(10, () => 1_000)
    lru.set('a', 'v', 60_000)
    lru.set('a', 'v', 0)
    lru.set('b', 'v', -5)
    expect([lru.get('a'), lru.get('b')]).toEqual([undefined, undefined])
  })

  it('holds nothing with no room', () => {
    const lru = createLru<number>(0)
    lru.set('a', 1, 60_000)
    expect(lru.get('a')).toBeUndefined()
  })
})
