import type { ClickHouseClient } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { createDataVersions } from './versions.ts'

const day = 86_400_000
/** A stand-in for the one poll query: rows of (source, day number, rows). */
function fakeClickHouse(rows: () => [string, number, number][], fail = { now: false }) {
  return {
    query: async () => {
      if (fail.now) throw new Error('down')
      return { json: async () => rows() }
    },
  } as unknown as ClickHouseClient
}

describe('data versions', () => {
  it('a change on a day moves the tag of ranges covering that day only, once the reading is a grace period old', async () => {
    let now = 100 * day
    let data: [string, number, number][] = [['orders', 98, 5], ['orders', 99, 7], ['trades', 99, 3]]
    const v = createDataVersions({ clickhouse: fakeClickHouse(() => data), pollMs: 1000, now: () => now })
    await v.poll()
    now += 1000
    await v.poll() // adopts the first reading (1 s old)
    const day99 = [99 * day, 100 * day] as const
    const day98 = [98 * day, 99 * day] as const
    const before = [v.tag(['orders'], day99), v.tag(['orders'], day98), v.tag(['orders', 'trades']), v.tag(['trades'], day99)]
    expect(before).toEqual(['orders=7', 'orders=5', 'orders=12,trades=3', 'trades=3'])
    data = [['orders', 98, 5], ['orders', 99, 8], ['trades', 99, 3]] // one late order on day 99
    await v.poll()
    expect(v.tag(['orders'], day99)).toBe('orders=7') // read, not yet a grace period old
    now += 999
    expect(v.tag(['orders'], day99)).toBe('orders=7')
    now += 1
    expect([v.tag(['orders'], day99), v.tag(['orders'], day98), v.tag(['orders', 'trades']), v.tag(['trades'], day99)])
      .toEqual(['orders=8', 'orders=5', 'orders=13,trades=3', 'trades=3'])
  })

  it('a range covers the days it touches, partial days included, its end exclusive', async () => {
    let now = 100 * day
    const v = createDataVersions({ clickhouse: fakeClickHouse(() => [['orders', 10, 1], ['orders', 11, 10], ['orders', 12, 100]]), now: () => now, graceMs: 0 })
    await v.poll()
    expect(v.tag(['orders'], [10 * day + 5, 11 * day + 1])).toBe('orders=11')
    expect(v.tag(['orders'], [11 * day, 12 * day])).toBe('orders=10')
    expect(v.tag(['orders'], [11 * day - 1, 12 * day + 1])).toBe('orders=111')
    expect(v.tag(['orders', 'web_events'], [0, 1])).toBe('orders=0,web_events=0')
  })

  it('without a fresh reading the tag changes every few seconds instead, so nothing is cached for long', async () => {
    let now = 1_000_000
    const fail = { now: true }
    const v = createDataVersions({ clickhouse: fakeClickHouse(() => [['orders', 1, 1]], fail), now: () => now, graceMs: 0, maxStaleMs: 5000, staleEpochMs: 5000 })
    await expect(v.poll()).rejects.toThrow()
    const a = v.tag(['orders'])
    expect(a).toMatch(/^stale:/)
    now += 5000
    expect(v.tag(['orders'])).not.toBe(a)
    fail.now = false
    await v.poll()
    expect(v.tag(['orders'])).toBe('orders=1')
    fail.now = true
    now += 5001 // polls failing since: the reading is too old to trust
    expect(v.tag(['orders'])).toMatch(/^stale:/)
  })
})
