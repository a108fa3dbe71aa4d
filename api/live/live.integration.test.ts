import { beforeEach, describe, expect, it } from 'vitest'
import { S } from '../protocol/index.ts'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { liveGatewayForFile } from '../../test/support/live-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'

let trader: string
const live = liveGatewayForFile({ LIVE_TICK_MS: '100', LIVE_LATENESS_MS: '30000' }, async () => {
  trader = await tokenFor(['trader'])
})
const connect = (token = trader) => live.connect({ token })

const second = 1000
// Each test's trades are dated from its own start (a whole second, 20 s ago), not from when the
// file loaded: a subscription's 1 s snapshot holds the last 300 s, which a slow gateway start and
// the tests before it on a loaded machine could use up.
let base = 0
beforeEach(() => {
  base = Math.floor(Date.now() / second) * second - 20 * second
})
let n = 0
const trade = (symbol: string, offsetMs: number, price: number, qty = 1) =>
  ({ id: `t${++n}`, ts: base + offsetMs, symbol, price, qty, side: n % 2 ? 'buy' : 'sell' })

/** 1s candles straight from the raw trades: the historical truth the live state must equal. */
const candlesFromRaw = (symbol: string) =>
  rows<{ row: (number | string)[] }>(live.gw.clickhouse('ops'), `
    SELECT [toFloat64(toUnixTimestamp(toStartOfSecond(ts)) * 1000), toFloat64(argMin(price, (ts, id))), toFloat64(max(price)), toFloat64(min(price)),
            toFloat64(argMax(price, (ts, id))), toFloat64(sum(qty)), toFloat64(count()),
            toFloat64(sum(toDecimal128(price, 8) * qty) / sum(qty))] AS row
    FROM trades WHERE symbol = {symbol:String} GROUP BY toStartOfSecond(ts) ORDER BY toStartOfSecond(ts)`, { symbol })
    .then((r) => r.map((x) => x.row.map(Number)))

describe('live candles', { timeout: 300_000 }, () => {
  it('builds from snapshot + deltas the same candles as a query over the raw trades, late trades included', async () => {
    const symbol = 'LIVE-A'
    await ingest(live.gw, 'trades', [trade(symbol, 0, 100), trade(symbol, 200, 101.5, 2)])
    await eventually(async () => expect((await candlesFromRaw(symbol)).length).toBe(1))
    const c = await connect()
    c.subscribe(1, 'candles', { symbol, interval: '1s' })
    await eventually(() => expect(c.subs.get(1)?.rows.size).toBe(1))
    // A burst over several buckets, in several requests, then a late trade for the first bucket.
    for (let b = 0; b < 5; b++) {
      await ingest(live.gw, 'trades', Array.from({ length: 20 }, (_, i) => trade(symbol, 1000 + b * 1000 + i * 37, 100 + ((i * 7 + b) % 13) * 0.25, 0.5 + (i % 3))))
    }
    await ingest(live.gw, 'trades', [trade(symbol, 999, 250, 3)])
    await eventually(async () => expect(c.rows(1)).toEqual(await candlesFromRaw(symbol)), { timeoutMs: 60_000 })
    const deltas = c.frames.filter((f) => f.type === S.DELTA)
    expect(deltas.length).toBeGreaterThan(0)
    expect(deltas.some((d) => d.type === S.DELTA && d.replace)).toBe(true)
    expect(c.subs.get(1)!.snapshots).toBe(1)
  })

  it('ticks several candle channels of one interval with one shared read, each equal to the raw trades', async () => {
    const symbols = ['LIVE-M1', 'LIVE-M2', 'LIVE-M3']
    const c = await connect()
    symbols.forEach((symbol, i) => c.subscribe(i + 1, 'candles', { symbol, interval: '1s' }))
    await eventually(() => expect(symbols.every((_, i) => c.subs.has(i + 1))).toBe(true))
    for (let b = 0; b < 3; b++) {
      await ingest(live.gw, 'trades', symbols.flatMap((symbol, k) => Array.from({ length: 10 }, (_, i) => trade(symbol, b * 1000 + i * 53, 50 + k + ((i * 3 + b) % 7) * 0.5, 1 + (i % 2)))))
    }
    await ingest(live.gw, 'trades', [trade('LIVE-M2', 10, 999, 1)])
    for (const [i, symbol] of symbols.entries()) {
      await eventually(async () => expect(c.rows(i + 1)).toEqual(await candlesFromRaw(symbol)), { timeoutMs: 60_000 })
    }
  })

  it('shares one live query between all watchers of a channel and stops it when nobody watches', async () => {
    const symbol = 'LIVE-B'
    const [a, b] = [await connect(), await connect()]
    const before = live.gw.live.stats().liveQueries
    a.subscribe(1, 'candles', { symbol, interval: '1m' })
    b.subscribe(7, 'candles', { symbol, interval: '1m' })
    await eventually(() => expect(a.subs.has(1) && b.subs.has(7)).toBe(true))
    expect(live.gw.live.stats().liveQueries).toBe(before + 1)
    expect(a.subs.get(1)!.cid).toBe(b.subs.get(7)!.cid)
    a.close()
    b.close()
    await eventually(() => expect(live.gw.live.stats().liveQueries).toBe(before))
  })

  it('answers a sequence gap with a fresh snapshot', async () => {
    const symbol = 'LIVE-C'
    const c = await connect()
    c.subscribe(1, 'candles', { symbol, interval: '1s' })
    await eventually(() => expect(c.subs.has(1)).toBe(true))
    c.dropNextDelta = true
    let i = 0
    await eventually(async () => {
      await ingest(live.gw, 'trades', [trade(symbol, 2000 + i++ * 150, 10 + i)])
      expect(c.subs.get(1)!.snapshots).toBeGreaterThanOrEqual(2)
    }, { intervalMs: 300 })
    expect(c.subs.get(1)!.gaps).toBeGreaterThanOrEqual(1)
    await eventually(async () => expect(c.rows(1)).toEqual(await candlesFromRaw(symbol)))
  })

  it('resumes from the last bucket a client saw with what it missed, read from ClickHouse', async () => {
    const symbol = 'LIVE-D'
    await ingest(live.gw, 'trades', [trade(symbol, 0, 5), trade(symbol, 1000, 6)])
    const a = await connect()
    a.subscribe(1, 'candles', { symbol, interval: '1s' })
    await eventually(() => expect(a.subs.get(1)?.rows.size).toBe(2))
    const kept = a.subs.get(1)!
    const last = a.rows(1).at(-1)![0] as number
    a.close()
    await ingest(live.gw, 'trades', [trade(symbol, 1500, 7), trade(symbol, 3000, 8), trade(symbol, 4000, 9)])
    await eventually(async () => expect((await candlesFromRaw(symbol)).length).toBe(4))
    const b = await connect()
    b.subs.set(1, { ...kept, rows: new Map(kept.rows) })
    b.subscribe(1, 'candles', { symbol, interval: '1s' }, { seq: kept.seq, t: last })
    await eventually(() => expect(b.frames.some((f) => f.type === S.SNAPSHOT)).toBe(true))
    const snap = b.frames.find((f) => f.type === S.SNAPSHOT)!
    expect(snap.type === S.SNAPSHOT && snap.since).not.toBeNull()
    expect(b.rows(1)).toEqual(await candlesFromRaw(symbol))
  })
})

describe('other channels', { timeout: 300_000 }, () => {
  it('streams ticker, trade tape, sales, top products and funnel', async () => {
    const now = Date.now()
    await ingest(live.gw, 'trades', [trade('TICK-A', 15_000, 10), trade('TICK-A', 16_000, 12, 2)])
    const order = (id: string, product: string, qty: number, price: number) =>
      ({ order_id: id, ts: now - 1000, shop_id: 'shop-1', customer_id: `c-${id}`, product_id: product, category: 'toys', quantity: qty, unit_price: price, status: 'completed' })
    await ingest(live.gw, 'orders', [order('o1', 'p1', 2, 10.25), order('o2', 'p2', 1, 99.99), order('o2', 'p1', 1, 10.25)])
    // Both events in one minute bucket: now - 1000 and now - 900 straddled a minute boundary once in ~600 runs, making two funnel rows.
    const minute = Math.floor((now - 1000) / 60_000) * 60_000
    await ingest(live.gw, 'web_events', [{ ts: minute, session_id: 's1', shop_id: 'shop-1', type: 'view' }, { ts: minute + 100, session_id: 's1', shop_id: 'shop-1', type: 'purchase' }])
    const seller = await connect(await tokenFor(['seller'], { shops: ['shop-1'] }))
    const c = await connect(await tokenFor(['trader'], { symbols: ['TICK-A'] }))
    c.subscribe(1, 'ticker', {})
    c.subscribe(2, 'trades', { symbol: 'TICK-A' })
    seller.subscribe(3, 'sales', { shop: 'shop-1', interval: '1m' })
    seller.subscribe(4, 'top_products', { shop: 'shop-1', window: '1h' })
    seller.subscribe(5, 'funnel', { shop: 'shop-1' })
    await eventually(() => {
      expect(c.rows(1)).toEqual([['TICK-A', 12, 10, 2, 20, 3, 2]])
      expect(c.rows(2).map((r) => r[2])).toEqual([10, 12])
      expect(seller.rows(3).map((r) => r.slice(1))).toEqual([['USD', 130.74, 0, 4, 2, 2, 65.37, 130.74, 0]]) // … gross_revenue, refunds
      expect(seller.rows(4).sort((x, y) => (y[3] as number) - (x[3] as number)).map((r) => [r[0], r[3], r[4], r[5]])).toEqual([['p2', 99.99, 1, 1], ['p1', 30.75, 3, 2]])
      expect(seller.rows(5).map((r) => r.slice(1, 6))).toEqual([[1, 0, 0, 1, 1]])
    })
    await ingest(live.gw, 'trades', [trade('TICK-A', 17_000, 11, 1)])
    await eventually(() => {
      expect(c.rows(1)).toEqual([['TICK-A', 11, 10, 1, 10, 4, 3]])
      expect(c.rows(2).map((r) => r[2])).toEqual([10, 12, 11])
    })
  })
})

describe('server-side watch (LiveGateway.watch)', { timeout: 300_000 }, () => {
  const principal = (symbols: string[] | '*') => ({ sub: 'rule-owner', roles: new Set(['trader'] as const), symbols: symbols === '*' ? '*' as const : new Set(symbols), shops: new Set<string>() })

  it('hands over the current rows, then every change; what it rebuilds equals the raw trades; close() lets the live query go', async () => {
    const symbol = 'WATCH-A'
    await ingest(live.gw, 'trades', [trade(symbol, 0, 20), trade(symbol, 1000, 21)])
    await eventually(async () => expect((await candlesFromRaw(symbol)).length).toBe(2))
    const before = live.gw.live.stats().liveQueries
    const calls: { append: number; replace: number; seq: number }[] = []
    const state = new Map<number, (string | number | null)[]>()
    const w = live.gw.live.watch('candles', { symbol, interval: '1s' }, principal([symbol]), (lq, change) => {
      calls.push({ append: change.append.length, replace: change.replace.length, seq: lq.seq })
      for (const row of [...change.append, ...change.replace]) state.set(row[0] as number, row)
    })
    await eventually(() => expect(calls[0]).toMatchObject({ append: 2, replace: 0 }))
    await ingest(live.gw, 'trades', [trade(symbol, 2000, 22), trade(symbol, 500, 30)]) // a new bucket and a late trade
    const rows = () => [...state.values()].sort((a, b) => (a[0] as number) - (b[0] as number))
    await eventually(async () => expect(rows()).toEqual(await candlesFromRaw(symbol)))
    // After the state, changes come one sequence number at a time.
    const seqs = calls.slice(1).map((c) => c.seq)
    expect(seqs).toEqual(seqs.map((_, i) => calls[0].seq + 1 + i))
    expect(live.gw.live.stats().watchers).toBe(1)
    w.close()
    await eventually(() => expect(live.gw.live.stats()).toMatchObject({ watchers: 0, liveQueries: before }))
  })

  it('watchTicks: called on every tick, null when nothing changed; the changes and the rows in the query equal the raw trades', async () => {
    const symbol = 'WATCH-T'
    await ingest(live.gw, 'trades', [trade(symbol, 0, 40)])
    await eventually(async () => expect((await candlesFromRaw(symbol)).length).toBe(1))
    const before = live.gw.live.stats().liveQueries
    const ticks: { seq: number; changed: boolean }[] = []
    let current: (string | number | null)[][] = []
    const w = live.gw.live.watchTicks('candles', { symbol, interval: '1s' }, principal([symbol]), (lq, change) => {
      ticks.push({ seq: lq.seq, changed: change !== null })
      current = lq.currentRows()
    })
    await eventually(() => expect(ticks.filter((t) => !t.changed).length).toBeGreaterThanOrEqual(3))
    await ingest(live.gw, 'trades', [trade(symbol, 1000, 41), trade(symbol, 300, 45)]) // a new bucket and a late trade
    await eventually(async () => expect(current).toEqual(await candlesFromRaw(symbol)))
    // Every changed tick moves the sequence by one, an unchanged one keeps it.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].seq - ticks[i - 1].seq).toBe(ticks[i].changed ? 1 : 0)
    expect(ticks.some((t) => t.changed)).toBe(true)
    expect(live.gw.live.stats().watchers).toBe(1)
    w.close()
    await eventually(() => expect(live.gw.live.stats()).toMatchObject({ watchers: 0, liveQueries: before }))
  })

  it('checks channel, parameters and entitlements as a subscription does', () => {
    const noop = () => {}
    expect(() => live.gw.live.watch('nope', {}, principal('*'), noop)).toThrow(expect.objectContaining({ code: 'UNKNOWN_CHANNEL', status: 404 }))
    expect(() => live.gw.live.watch('candles', { symbol: 'X', interval: '5m' }, principal('*'), noop)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', status: 400 }))
    expect(() => live.gw.live.watch('candles', { symbol: 'X', interval: '1m' }, principal(['Y']), noop)).toThrow(expect.objectContaining({ code: 'NOT_ENTITLED', status: 403 }))
    expect(() => live.gw.live.watchTicks('candles', { symbol: 'X', interval: '1m' }, principal(['Y']), noop)).toThrow(expect.objectContaining({ code: 'NOT_ENTITLED', status: 403 }))
  })
})
