import type { ClickHouseClient } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { changeOf, decode, decodeServerFrame, deltaFrame, encode, S, withCid, type Cell } from '../protocol/index.ts'
import { channels } from './channels.ts'
import { LiveQuery, type LiveState } from './live-query.ts'

const opts = { snapshotBuckets: 5, latenessMs: 2000, tapeMaxPerS: 50, tickMs: 250, now: () => 100_000 }

/** A ClickHouse that answers every query with the rows the test set last. */
function fakeClickHouse() {
  const fake = { rows: [] as Cell[][] }
  const ch = { query: async () => ({ json: async () => fake.rows.map((r) => [...r]) }) } as unknown as ClickHouseClient
  return { fake, ch }
}

/** Drives a leader through `reads` and a mirror through the frames it publishes; returns both. */
async function replay(channel: string, params: unknown, reads: Cell[][][]) {
  const spec = channels.get(channel)!
  const { fake, ch } = fakeClickHouse()
  const leader = new LiveQuery(7, 't', spec, params, ch, opts)
  fake.rows = reads[0]
  await leader.load()
  // The mirror starts from the state the leader stores in Redis (a msgpack round trip).
  const mirror = new LiveQuery(3, 't', spec, params, ch, opts)
  mirror.restore(decode(encode(leader.exportState())) as LiveState)
  let published = 0
  for (const rows of reads.slice(1)) {
    fake.rows = rows
    const change = leader.apply(await leader.read())
    if (!change) continue
    const f = decodeServerFrame(withCid(deltaFrame(leader.cid, leader.seq, change, spec.meta.time, 100_000), mirror.cid))
    if (f.type !== S.DELTA) throw new Error('not a delta')
    expect(f.cid).toBe(3)
    mirror.applyPublished(f.seq, changeOf(f, spec.meta))
    published++
  }
  return { leader, mirror, published }
}

const candle = (t: number, close: number): Cell[] => [t, 1, close, 1, close, 1, 1, close]

describe('a follower mirror fed by published deltas', () => {
  it('holds the leader state of a series channel: appends, late replaces, ageing out of the window', async () => {
    // Series reads come newest first, as the SQL's ORDER BY bucket DESC.
    const reads = [
      [candle(95_000, 1), candle(94_000, 1)],
      [candle(96_000, 2), candle(95_000, 1.5), candle(94_000, 1)],
      [candle(99_000, 3), candle(98_000, 3), candle(97_000, 3)],
      [candle(101_000, 4), candle(100_000, 4), candle(99_000, 3.5)],
    ]
    const { leader, mirror, published } = await replay('candles', { symbol: 'X', interval: '1s' }, reads)
    expect(published).toBe(3)
    expect(mirror.seq).toBe(leader.seq)
    expect(mirror.watermark).toBe(leader.watermark)
    expect(mirror.snapshot()).toEqual(leader.snapshot())
    // Buckets older than the window aged out of both.
    expect(mirror.exportState().rows.map((r) => r[0] as number).sort((x, y) => x - y)).toEqual([96_000, 97_000, 98_000, 99_000, 100_000, 101_000])
  })

  it('holds the leader state of a table channel, removals included', async () => {
    const row = (p: string, revenue: number): Cell[] => [p, 'toys', 'USD', revenue, 1, 1]
    const reads = [
      [row('p1', 10), row('p2', 5)],
      [row('p1', 12), row('p2', 5), row('p3', 4)],
      [row('p3', 20), row('p1', 12)],
    ]
    const { leader, mirror, published } = await replay('top_products', { shop: 's', window: '1h', n: 10 }, reads)
    expect(published).toBe(2)
    expect(mirror.snapshot()).toEqual(leader.snapshot())
    expect(mirror.exportState().rows.map((r) => r[0]).sort()).toEqual(['p1', 'p3'])
  })
})

describe('withCid', () => {
  const delta = (cid: number) => encode([S.DELTA, cid, 42, 1000, 5, [[0], [1.5]], null, null])

  it('rewrites only the cid, for every integer width', () => {
    for (const [from, to] of [[1, 2], [5, 300], [300, 5], [70_000, 1], [1, 5_000_000_000]]) {
      const out = decodeServerFrame(withCid(delta(from), to))
      expect(out).toEqual({ ...decodeServerFrame(delta(from)), cid: to })
    }
  })

  it('returns the frame itself when the cid already matches', () => {
    const frame = delta(9)
    expect(withCid(frame, 9)).toBe(frame)
  })

  it('refuses anything but a DELTA', () => {
    expect(() => withCid(encode([S.SNAPSHOT, 1, 2]), 3)).toThrow()
  })
})
