// The diff engine (LiveQuery.apply) on every channel mode, checked against the protocol's
// invariants as a client sees them (test/support/protocol-invariants.ts) and against the rows
// ClickHouse last answered, not against another copy of the same code.
import type { ClickHouseClient } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { decodeServerFrame, deltaFrame, snapshotFrame, toRows, type Cell } from '../protocol/index.ts'
import { InvariantChecker } from '../../test/support/protocol-invariants.ts'
import { channels } from './channels.ts'
import { LiveQuery } from './live-query.ts'

const now = 100_000
const opts = { snapshotBuckets: 5, latenessMs: 2000, tapeMaxPerS: 50, tickMs: 250, now: () => now }

/** A live query over a ClickHouse that answers every read with `rows` (newest first, as the SQL orders them). */
function harness(channel: string, params: unknown) {
  const spec = channels.get(channel)!
  const fake = { rows: [] as Cell[][] }
  const ch = { query: async () => ({ json: async () => fake.rows.map((r) => [...r]) }) } as unknown as ClickHouseClient
  const lq = new LiveQuery(1, 't', spec, params, ch, opts)
  const checker = new InvariantChecker()
  /** What a client holds, rebuilt from the frames alone. */
  const client = new Map<string, Cell[]>()
  const key = (row: Cell[]) => JSON.stringify(spec.meta.key.map((i) => row[i]))
  const changes: ReturnType<LiveQuery['apply']>[] = []
  return {
    lq, checker, client, changes,
    async load(rows: Cell[][]) {
      fake.rows = rows
      await lq.load()
      const f = decodeServerFrame(snapshotFrame(1, lq.cid, lq.seq, spec.meta, lq.snapshot(), null))
      checker.check(f)
      if (f.type === 16) for (const r of toRows(f.cols, f.base, spec.meta.time)) client.set(key(r), r)
    },
    /** One tick reading `rows`; the change (or null) it published. */
    async tick(rows: Cell[][]) {
      fake.rows = rows
      const change = lq.apply(await lq.read())
      changes.push(change)
      if (!change) return null
      const f = decodeServerFrame(deltaFrame(lq.cid, lq.seq, change, spec.meta.time, now))
      checker.check(f)
      if (f.type === 17) {
        for (const block of [f.append, f.replace]) if (block) for (const r of toRows(block, f.base, spec.meta.time)) client.set(key(r), r)
        for (const k of f.remove ?? []) client.delete(JSON.stringify(k))
      }
      return change
    },
  }
}

const candle = (t: number, close: number): Cell[] => [t, 1, close, 1, close, 1, 1, close]
const sales = (t: number, currency: string, revenue: number): Cell[] => [t, currency, revenue, 0, 1, 1, 1, revenue]
const trade = (t: number, id: string, price: number): Cell[] => [t, id, price, 1, 'buy']
const product = (id: string, revenue: number): Cell[] => [id, 'toys', 'USD', revenue, 1, 1]

describe('diff engine: series', () => {
  it('appends new buckets, replaces changed ones, skips unchanged reads, and numbers changes without gaps', async () => {
    const h = harness('candles', { symbol: 'X', interval: '1s' })
    await h.load([candle(95_000, 1), candle(94_000, 1)])
    const c1 = await h.tick([candle(96_000, 2), candle(95_000, 1.5), candle(94_000, 1)])
    expect(c1).toEqual({ append: [candle(96_000, 2)], replace: [candle(95_000, 1.5)], remove: [] })
    expect(await h.tick([candle(96_000, 2), candle(95_000, 1.5)])).toBeNull() // nothing changed: no seq
    await h.tick([candle(98_000, 3), candle(97_000, 3), candle(96_000, 2.5)])
    expect(h.lq.seq).toBe(2)
    expect(h.checker.violations).toEqual([])
    expect([...h.client.values()].map((r) => r[0]).sort()).toEqual([94_000, 95_000, 96_000, 97_000, 98_000])
    expect(h.client.get('[96000]')).toEqual(candle(96_000, 2.5))
  })

  it('sends a new key inside the newest bucket (a new currency this minute) as a replace, never as an append', async () => {
    const h = harness('sales', { shop: 's', interval: '1m' })
    await h.load([sales(60_000, 'USD', 10)])
    const change = await h.tick([sales(60_000, 'USD', 10), sales(60_000, 'EUR', 5)])
    // An append must be newer than everything sent; this row shares the newest bucket.
    expect(change).toEqual({ append: [], replace: [sales(60_000, 'EUR', 5)], remove: [] })
    await h.tick([sales(120_000, 'USD', 1), sales(60_000, 'USD', 10), sales(60_000, 'EUR', 5)])
    expect(h.changes.at(-1)).toEqual({ append: [sales(120_000, 'USD', 1)], replace: [], remove: [] })
    expect(h.checker.violations).toEqual([])
  })
})

describe('diff engine: tape', () => {
  it('appends new trades, late ones inside the lateness too, and drops those older than that', async () => {
    const h = harness('trades', { symbol: 'X' })
    await h.load([trade(99_000, 'a', 1)])
    expect(await h.tick([trade(99_500, 'b', 2), trade(99_000, 'a', 1)])).toEqual({ append: [trade(99_500, 'b', 2)], replace: [], remove: [] })
    // 'c' arrives late (older than 'b') but within the lateness: still new to every client.
    expect(await h.tick([trade(99_500, 'b', 2), trade(98_000, 'c', 3), trade(99_000, 'a', 1)])).toEqual({ append: [trade(98_000, 'c', 3)], replace: [], remove: [] })
    // 'd' is older than watermark − lateness: the tape skips it.
    expect(await h.tick([trade(99_500, 'b', 2), trade(90_000, 'd', 4)])).toBeNull()
    expect(h.checker.violations).toEqual([])
  })
})

describe('diff engine: table', () => {
  it('appends rows with a new key, replaces changed ones and removes the ones gone', async () => {
    const h = harness('top_products', { shop: 's', window: '1h', n: 10 })
    await h.load([product('p1', 10), product('p2', 5)])
    const change = await h.tick([product('p1', 12), product('p2', 5), product('p3', 4)])
    expect(change).toEqual({ append: [product('p3', 4)], replace: [product('p1', 12)], remove: [] })
    expect(await h.tick([product('p3', 20), product('p1', 12)])).toEqual({ append: [], replace: [product('p3', 20)], remove: [['p2', 'toys', 'USD']] })
    expect(h.checker.violations).toEqual([])
    expect([...h.client.keys()].sort()).toEqual(['["p1","toys","USD"]', '["p3","toys","USD"]'])
  })
})

describe('diff engine: any sequence of reads', () => {
  // A small deterministic generator: the same sequence on every run.
  const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)

  it('keeps the invariants, and a client rebuilt from the frames holds what ClickHouse last answered', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed)
      const h = harness('sales', { shop: 's', interval: '1m' })
      const truth = new Map<string, Cell[]>()
      const read = () => [...truth.values()].sort((a, b) => (b[0] as number) - (a[0] as number))
      let newest = 60_000
      truth.set('[60000,"USD"]', sales(newest, 'USD', 1))
      await h.load(read())
      for (let i = 0; i < 40; i++) {
        const r = next()
        const t = r < 0.3 ? (newest += 60_000) : newest - Math.floor(next() * 2) * 60_000 // a new minute, or a late event
        const currency = next() < 0.7 ? 'USD' : 'EUR'
        truth.set(JSON.stringify([t, currency]), sales(t, currency, Math.round(next() * 100)))
        await h.tick(read())
      }
      expect([seed, h.checker.violations]).toEqual([seed, []])
      // Buckets ageing out of the window are kept by clients (the server sends no removal).
      const windowStart = newest - 5 * 60_000
      const current = (m: Map<string, Cell[]>) => [...m.entries()].filter(([, r]) => (r[0] as number) >= windowStart).sort()
      expect(current(h.client)).toEqual(current(new Map([...truth.values()].map((r) => [JSON.stringify([r[0], r[1]]), r]))))
    }
  })
})
