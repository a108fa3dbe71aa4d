import type { ClickHouseClient } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { createDataVersions, zoneStarts } from './versions.ts'

const hour = 3_600_000
const day = 86_400_000
const minute = 60_000
type Row = [string, number, 'd' | 'h' | 'm', number]
/** A stand-in for the one poll query: (source, bucket start ms, d|h|m, rows). */
function fakeClickHouse(rows: () => Row[], fail = { now: false }) {
  return {
    query: async () => {
      if (fail.now) throw new Error('down')
      return { json: async () => rows() }
    },
  } as unknown as ClickHouseClient
}

describe('data versions', () => {
  const now0 = 100 * day + 15 * hour + 30 * minute // day 100, 15:30: minutes from 14:00, hours from day 99, days before
  it('reads minutes from the previous hour on, hours from yesterday on, days before', () =>
    expect(zoneStarts(now0)).toEqual({ minutes: 100 * day + 14 * hour, hours: 99 * day }))

  it('a change in a day moves the tag of ranges covering that day only, once the reading is a grace period old', async () => {
    let now = now0
    let data: Row[] = [['orders', 97 * day, 'd', 5], ['orders', 98 * day, 'd', 7], ['trades', 98 * day, 'd', 3]]
    const v = createDataVersions({ clickhouse: fakeClickHouse(() => data), pollMs: 1000, now: () => now })
    await v.poll()
    now += 1000
    await v.poll() // adopts the first reading (1 s old)
    const day98 = [98 * day, 99 * day] as const
    const day97 = [97 * day, 98 * day] as const
    const tags = () => [v.tag(['orders'], day98), v.tag(['orders'], day97), v.tag(['orders', 'trades']), v.tag(['trades'], day98)]
    expect(tags()).toEqual(['orders=7', 'orders=5', 'orders=12,trades=3', 'trades=3'])
    data = [['orders', 97 * day, 'd', 5], ['orders', 98 * day, 'd', 8], ['trades', 98 * day, 'd', 3]] // one late order on day 98
    await v.poll()
    expect(v.tag(['orders'], day98)).toBe('orders=7') // read, not yet a grace period old
    now += 999
    expect(v.tag(['orders'], day98)).toBe('orders=7')
    now += 1
    expect(tags()).toEqual(['orders=8', 'orders=5', 'orders=13,trades=3', 'trades=3'])
  })

  it('recent ranges count hours, the last hour and a bit minutes: rows arriving now leave earlier buckets alone', async () => {
    let now = now0
    const h = (d: number, hh: number, n: number): Row => ['orders', d * day + hh * hour, 'h', n]
    const m = (mm: number, n: number): Row => ['orders', 100 * day + 14 * hour + mm * minute, 'm', n]
    let data: Row[] = [h(99, 10, 4), h(100, 12, 2), m(10, 1), m(75, 3), m(90, 50)] // 14:10, 15:15, 15:30 (now)
    const v = createDataVersions({ clickhouse: fakeClickHouse(() => data), now: () => now, graceMs: 0 })
    await v.poll()
    const noon = [100 * day + 11 * hour, 100 * day + 13 * hour] as const
    const lastHour = [100 * day + 14 * hour + 30 * minute, 100 * day + 15 * hour + 29 * minute] as const
    expect([v.tag(['orders'], noon), v.tag(['orders'], lastHour)]).toEqual(['orders=2', 'orders=3'])
    data = [...data.slice(0, 4), m(90, 80)] // the current minute fills
    await v.poll()
    expect([v.tag(['orders'], noon), v.tag(['orders'], lastHour)]).toEqual(['orders=2', 'orders=3'])
    expect(v.tag(['orders'], [100 * day + 12 * hour + 1, 100 * day + 12 * hour + 2])).toBe('orders=2') // a partly covered hour counts whole
    // A range reaching back past yesterday: days before, hours, then minutes.
    data = [['orders', 97 * day, 'd', 1000], ['orders', 98 * day, 'd', 100], ...data]
    await v.poll()
    expect(v.tag(['orders'], [98 * day + 5, 100 * day + 14 * hour + 11 * minute])).toBe('orders=107')
    expect(v.tag(['orders'])).toBe('orders=1190')
    expect(v.tag(['orders', 'web_events'], [0, 1])).toBe('orders=0,web_events=0')
  })

  it('without a fresh reading the tag changes every few seconds instead, so nothing is cached for long', async () => {
    let now = now0
    const fail = { now: true }
    const v = createDataVersions({ clickhouse: fakeClickHouse(() => [['orders', 1 * day, 'd', 1]], fail), now: () => now, graceMs: 0, maxStaleMs: 5000, staleEpochMs: 5000 })
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

  it('stops polling while nobody tags a key, and polls again at the first tag', async () => {
    let now = now0
    let clockReads = 0
    let polls = 0
    const ch = { query: async () => (polls++, { json: async () => [['orders', 1 * day, 'd', 1]] }) } as unknown as ClickHouseClient
    const v = createDataVersions({ clickhouse: ch, pollMs: 1, graceMs: 0, idleAfterMs: 60_000, now: () => (clockReads++, now) })
    v.start()
    try {
      await eventually(() => expect(polls).toBeGreaterThan(2))
      now += 60_001 // a minute without a tag
      await eventually(() => expect(clockReads).toBeGreaterThan(0))
      const [pollsAtPause, readsAtPause] = [polls, clockReads]
      await eventually(() => expect(clockReads).toBeGreaterThan(readsAtPause + 20)) // the loop kept going…
      expect(polls - pollsAtPause).toBeLessThanOrEqual(1) // …without reading (one may have been in flight)
      expect(v.tag(['orders'])).toMatch(/^stale:/) // the last reading is a minute old: not trusted
      await eventually(() => expect(polls).toBeGreaterThan(pollsAtPause + 1)) // the tag woke the polls
      await eventually(() => expect(v.tag(['orders'])).toBe('orders=1'))
    } finally {
      v.stop()
    }
  })
})
