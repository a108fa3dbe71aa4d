// The evaluator against a fake live feed (the real channel specs, ticks driven by hand):
// edges, for_s, cooldown, crossings, windows, closed buckets, bands, one watch per topic.
import { describe, expect, it } from 'vitest'
import type { Principal } from '../../core/roles.ts'
import { createLogger } from '../log.ts'
import type { Cell } from '../protocol/index.ts'
import type { Band } from './conditions.ts'
import { createEvaluator, type BandSource } from './evaluator.ts'
import type { LiveChange, LiveFeed, TickListener } from './feed.ts'
import type { Alert, Condition, Rule } from './schema.ts'

interface Watched {
  channel: string
  params: Record<string, unknown>
  principal: Principal
  onTick: TickListener
  seq: number
  rows: Cell[][]
  closed: boolean
}

function fakeFeed() {
  const watches: Watched[] = []
  const feed: LiveFeed = {
    watch(channel, params, principal, onTick) {
      const w: Watched = { channel, params, principal, onTick, seq: 0, rows: [], closed: false }
      watches.push(w)
      return { close: () => void (w.closed = true) }
    },
  }
  const view = (w: Watched) => ({ topic: `${w.channel}`, seq: w.seq, rows: () => w.rows })
  return {
    feed,
    watches,
    /** One tick of every open watch of `channel` with these appended/replaced rows (null: nothing changed). */
    tick(channel: string, change: Partial<LiveChange> | null, match: (w: Watched) => boolean = () => true) {
      for (const w of watches.filter((x) => x.channel === channel && !x.closed && match(x))) {
        if (change) {
          w.seq++
          w.rows.push(...(change.append ?? []))
        }
        w.onTick(view(w), change ? { append: change.append ?? [], replace: change.replace ?? [], remove: change.remove ?? [] } : null)
      }
    },
  }
}

const log = createLogger('silent')
let clock = Date.parse('2026-11-23T10:00:00.000Z')
const now = () => clock
let nextId = 1

function rule(condition: Condition, over: Partial<Rule> = {}): Rule {
  return {
    id: `rule-${nextId++}`, owner: 'alice', name: 'r', channel: 'candles', params: { symbol: 'BTC', interval: '1s' }, condition,
    for_s: 0, cooldown_s: 0, notify: [], access: { roles: ['trader', 'seller'], symbols: '*', shops: '*', expiresAt: clock + 86_400_000 },
    muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: clock, updatedAt: clock, ...over,
  }
}

/** A 1s candle row: t, open, high, low, close, volume, trades, vwap. */
const candle = (t: number, close: number, volume = 1): Cell[] => [t, close, close, close, close, volume, 1, close]

function setup(bands?: BandSource, lastFired?: (rule: string, entity: string) => number | undefined) {
  const f = fakeFeed()
  const fired: Alert[] = []
  const ev = createEvaluator({ feed: f.feed, log, now, bands, lastFired, onFire: (a) => fired.push(a) })
  return { ...f, ev, fired }
}

/** Ticks candles of 1s buckets with these closes, one bucket per tick, the clock following. */
function prices(s: ReturnType<typeof setup>, closes: number[]) {
  for (const c of closes) {
    clock += 1000
    s.tick('candles', { append: [candle(Math.floor(clock / 1000) * 1000, c)] })
  }
}

describe('alert evaluator', () => {
  it('fires a level rule once per episode: again only after the condition cleared', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: '>', value: 100 }))
    prices(s, [99, 101, 102, 103])
    expect(s.fired.map((a) => a.value)).toEqual([101])
    prices(s, [98, 104])
    expect(s.fired.map((a) => a.value)).toEqual([101, 104])
    expect(s.fired[0]).toMatchObject({ ruleId: expect.any(String), owner: 'alice', channel: 'candles', entity: {} })
  })

  it('does not fire inside the cooldown, and fires on the next edge after it', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: '>', value: 100 }, { cooldown_s: 10 }))
    prices(s, [99, 101, 99, 101, 99, 101]) // three edges within 6 s: the first fires
    expect(s.fired).toHaveLength(1)
    clock += 10_000
    prices(s, [99, 101])
    expect(s.fired).toHaveLength(2)
  })

  it('crosses_above needs the value below the level first; > fires at once', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: 'crosses_above', value: 100 }))
    s.ev.upsert(rule({ column: 'close', op: '>', value: 100 }))
    prices(s, [105, 106])
    expect(s.fired.map((a) => a.condition.op)).toEqual(['>'])
    prices(s, [99, 101])
    expect(s.fired.map((a) => a.condition.op)).toEqual(['>', 'crosses_above', '>'])
  })

  it('for_s: the condition must hold that long, checked on ticks without changes too', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: '<', value: 50 }, { for_s: 5 }))
    prices(s, [60, 40, 41, 60]) // held 2 s: no
    expect(s.fired).toHaveLength(0)
    prices(s, [40])
    for (let i = 0; i < 4; i++) (clock += 1000), s.tick('candles', null)
    expect(s.fired).toHaveLength(0)
    clock += 1000
    s.tick('candles', null)
    expect(s.fired.map((a) => a.value)).toEqual([40])
  })

  it('change_pct_above compares with the value window_s earlier', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: 'change_pct_above', value: 5, window_s: 3 }))
    prices(s, [100, 101, 102, 103, 104]) // 104 vs 101 three seconds earlier: +2.97 %
    expect(s.fired).toHaveLength(0)
    prices(s, [108]) // 108 vs 102: +5.9 %
    expect(s.fired.map((a) => a.value)).toEqual([108])
  })

  it('a crossing between two trades of one tick fires on the trade tape', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'price', op: 'crosses_above', value: 100 }, { channel: 'trades', params: { symbol: 'BTC' } }))
    const trade = (t: number, id: string, price: number): Cell[] => [t, id, price, 1, 'buy']
    s.tick('trades', { append: [trade(clock, 'a', 99)] })
    s.tick('trades', { append: [trade(clock + 1, 'b', 101), trade(clock + 2, 'c', 99)] })
    expect(s.fired.map((a) => a.value)).toEqual([101])
  })

  it('closed buckets: an additive column of a bucket without rows is 0', () => {
    const s = setup()
    clock = Date.parse('2026-11-23T10:00:30.000Z')
    s.ev.upsert(rule({ column: 'revenue', op: '<', value: 10, bucket: 'closed' }, { channel: 'sales', params: { shop: 'shop-1', interval: '1m' } }))
    const sales = (t: number, revenue: number): Cell[] => [t, 'EUR', revenue, 0, 1, 1, 1, revenue]
    s.tick('sales', { append: [sales(Date.parse('2026-11-23T09:59:00Z'), 50), sales(Date.parse('2026-11-23T10:00:00Z'), 40)] })
    expect(s.fired).toHaveLength(0) // 09:59 closed with 50
    clock = Date.parse('2026-11-23T10:01:03.000Z')
    s.tick('sales', null) // 10:00 closed with 40
    expect(s.fired).toHaveLength(0)
    clock = Date.parse('2026-11-23T10:02:03.000Z')
    s.tick('sales', null) // 10:01 closed with no rows: revenue 0
    expect(s.fired.map((a) => [a.value, a.entity, new Date(a.at).toISOString()])).toEqual([[0, { currency: 'EUR' }, '2026-11-23T10:01:00.000Z']])
  })

  it('anomaly: fires when the closed bucket leaves the band', () => {
    const band: Band = { mean: 100, sd: 10, n: 60 }
    const s = setup({ watch: () => ({ get: () => band, close() {} }) })
    clock = Date.parse('2026-11-23T10:00:30.000Z')
    s.ev.upsert(rule({ column: 'orders', op: 'anomaly', value: 3, direction: 'below' }, { channel: 'sales', params: { shop: 'shop-1', interval: '1m' } }))
    const sales = (t: number, orders: number): Cell[] => [t, 'USD', 1000, 0, orders, orders, orders, 10]
    s.tick('sales', { append: [sales(Date.parse('2026-11-23T09:59:00Z'), 95), sales(Date.parse('2026-11-23T10:00:00Z'), 65)] })
    expect(s.fired).toHaveLength(0)
    clock = Date.parse('2026-11-23T10:01:03.000Z')
    s.tick('sales', null)
    expect(s.fired.map((a) => a.value)).toEqual([65]) // z = -3.5
  })

  it('a thousand rules on one channel share one watch and are all checked on one tick', () => {
    const s = setup()
    for (let i = 0; i < 1000; i++) s.ev.upsert(rule({ column: 'close', op: '>', value: i }))
    expect(s.watches).toHaveLength(1)
    prices(s, [499.5])
    expect(s.fired).toHaveLength(500)
    expect(s.ev.stats()).toMatchObject({ rules: 1000, topics: 1 })
  })

  it('mute, snooze and an expired access stop firing; removing the last rule closes the watch', () => {
    const s = setup()
    const muted = rule({ column: 'close', op: '>', value: 100 }, { muted: true })
    const snoozed = rule({ column: 'close', op: '>', value: 100 }, { snoozedUntil: clock + 60_000 })
    const expired = rule({ column: 'close', op: '>', value: 100 }, { access: { roles: ['trader'], symbols: '*', shops: '*', expiresAt: clock + 500 } })
    for (const r of [muted, snoozed, expired]) s.ev.upsert(r)
    prices(s, [99, 101])
    expect(s.fired).toHaveLength(0)
    s.ev.upsert({ ...muted, muted: false, version: 2 }) // in place: the episode already went by
    prices(s, [99, 101])
    expect(s.fired.map((a) => a.ruleId)).toEqual([muted.id])
    for (const r of [muted, snoozed, expired]) s.ev.remove(r.id)
    expect(s.watches[0].closed).toBe(true)
  })

  it('a rule not entitled to its channel any more is kept but not watched', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: '>', value: 1 }, { access: { roles: ['trader'], symbols: ['ETH'], shops: [], expiresAt: clock + 60_000 } }))
    expect(s.watches).toHaveLength(0)
  })

  it('table channels fire per row (ticker symbols), and a removed row forgets its state', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'change_pct', op: '>', value: 5 }, { channel: 'ticker', params: {} }))
    const row = (symbol: string, pct: number): Cell[] => [symbol, 1, 1, 0, pct, 1, 1]
    s.tick('ticker', { append: [row('A', 1), row('B', 6)] })
    s.tick('ticker', { replace: [row('A', 7)] })
    s.tick('ticker', { replace: [row('A', 8), row('B', 9)] })
    expect(s.fired.map((a) => a.entity)).toEqual([{ symbol: 'B' }, { symbol: 'A' }])
    s.tick('ticker', { remove: [['B']] })
    s.tick('ticker', { append: [row('B', 10)] })
    expect(s.fired.map((a) => a.entity)).toEqual([{ symbol: 'B' }, { symbol: 'A' }, { symbol: 'B' }])
  })

  it('taking a channel over, it evaluates the first change it sees on top of the state the old leader published', () => {
    // Rules that fired before (on the old leader) adopt the published state; a crossing inside the first change fires.
    const s = setup(undefined, () => clock - 5000)
    const crossing = rule({ column: 'price', op: 'crosses_above', value: 100 }, { channel: 'trades', params: { symbol: 'BTC' } })
    const level = rule({ column: 'price', op: '>', value: 100 }, { channel: 'trades', params: { symbol: 'BTC' } })
    s.ev.upsert(crossing)
    s.ev.upsert(level)
    const trade = (t: number, id: string, price: number): Cell[] => [t, id, price, 1, 'buy']
    const w = s.watches[0]
    w.rows.push(trade(clock - 2000, 'x', 102)) // published by the old leader: above the level, already reported
    w.seq = 7
    s.tick('trades', { append: [trade(clock, 'y', 97), trade(clock + 1, 'z', 103)] })
    expect(s.fired.map((a) => [a.condition.op, a.value])).toEqual([['crosses_above', 103], ['>', 103]])
  })

  it('a rule that never fired reads the state it starts on as its first value (a new rule fires at once)', () => {
    const s = setup(undefined, () => undefined)
    s.watches.length = 0
    s.ev.upsert(rule({ column: 'close', op: '>', value: 100 }))
    s.watches[0].rows.push(candle(clock, 150))
    s.watches[0].seq = 3
    s.tick('candles', null)
    expect(s.fired.map((a) => a.value)).toEqual([150])
  })

  it('after missed ticks it adopts the published state instead of reading the difference as an edge', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: 'crosses_above', value: 100 }))
    prices(s, [99])
    const w = s.watches[0]
    w.seq += 5 // another replica led for a while (and reported the crossing): the price went above and stayed
    w.rows.push(candle(clock + 1000, 105))
    clock += 2000
    s.tick('candles', { append: [candle(clock, 106)] })
    expect(s.fired).toHaveLength(0)
    prices(s, [99, 101])
    expect(s.fired.map((a) => a.value)).toEqual([101])
  })
})
