// The evaluator's threshold indexes for change_pct and anomaly rules (evaluator.ts PctGroup,
// ZGroup): a tick evaluates only the rules whose answer can have changed, and the alerts are
// exactly those of evaluating every rule on every value (checked against that plain model
// over random series with hundreds of thresholds).
import { describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import type { Cell } from '../protocol/index.ts'
import type { Band } from './conditions.ts'
import { createEvaluator, type BandSource } from './evaluator.ts'
import type { LiveFeed, TickListener } from './feed.ts'
import type { Alert, Condition, Rule } from './schema.ts'

let clock = Date.parse('2026-11-23T10:00:00.000Z')
let nextId = 1

function rule(condition: Condition, over: Partial<Rule> = {}): Rule {
  return {
    id: `rule-${nextId++}`, owner: 'alice', name: 'r', channel: 'candles', params: { symbol: 'BTC', interval: '1s' }, condition,
    for_s: 0, cooldown_s: 0, notify: [], access: { roles: ['trader'], symbols: '*', shops: '*', expiresAt: clock + 86_400_000 },
    muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: clock, updatedAt: clock, ...over,
  }
}

/** One 1s candle channel driven by hand: each `bucket` appends a candle and moves the clock a second. */
function setup(band?: Band) {
  const listeners: TickListener[] = []
  const rows: Cell[][] = []
  const feed: LiveFeed = { watch: (_c, _p, _pr, l) => (listeners.push(l), { close() {} }) }
  const bands: BandSource = { watch: () => ({ get: () => band, close() {} }) }
  const fired: Alert[] = []
  const ev = createEvaluator({ feed, log: createLogger('silent'), now: () => clock, bands, onFire: (a) => fired.push(a) })
  let seq = 0
  return {
    ev,
    fired,
    /** A new bucket with this close and volume. */
    bucket(close: number, volume = 1) {
      clock += 1000
      const row: Cell[] = [Math.floor(clock / 1000) * 1000, close, close, close, close, volume, 1, close]
      rows.push(row)
      seq++
      for (const l of listeners) l({ topic: 'candles', seq, rows: () => rows }, { append: [row], replace: [], remove: [] })
    },
  }
}

/** A small deterministic generator (mulberry32): the same series on every run. */
function random(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Alerts of evaluating every rule on every value in `values` (undefined: no value to decide on):
 * a rule fires when its condition holds and did not at its previous decided value (or had none).
 */
function model(rules: Rule[], values: (number | undefined)[], holds: (r: Rule, v: number) => boolean) {
  const out: string[] = []
  for (const r of rules) {
    let last: boolean | undefined
    values.forEach((v, i) => {
      if (v === undefined) return
      const h = holds(r, v)
      if (h && last !== true) out.push(`${r.id}@${i}`)
      last = h
    })
  }
  return out.sort()
}

describe('alert evaluator indexes', () => {
  it('change_pct: hundreds of thresholds fire exactly as evaluating every rule on every tick would', () => {
    const s = setup()
    const rnd = random(7)
    const rules = Array.from({ length: 400 }, (_, k) =>
      rule({ column: 'close', op: k % 2 ? 'change_pct_below' : 'change_pct_above', value: Math.round((rnd() * 20 - 10) * 100) / 100, window_s: 3 }))
    for (const r of rules) s.ev.upsert(r)
    const closes: number[] = []
    const first = (Math.floor(clock / 1000) + 1) * 1000
    let price = 100
    for (let i = 0; i < 300; i++) {
      price = Math.max(1, price * (1 + (rnd() - 0.5) * 0.08))
      closes.push(price)
      s.bucket(price)
    }
    // The percentage of tick i: against the close 3 buckets (3 s) earlier.
    const pcts = closes.map((c, i) => (i < 3 ? undefined : ((c - closes[i - 3]) / Math.abs(closes[i - 3])) * 100))
    const expected = model(rules, pcts, (r, pct) => (r.condition.op === 'change_pct_above' ? pct > r.condition.value : pct < r.condition.value))
    expect(s.fired.map((a) => `${a.ruleId}@${(a.at - first) / 1000}`).sort()).toEqual(expected)
    expect(expected.length).toBeGreaterThan(400) // the series crosses many thresholds, many times
  })

  it('anomaly: hundreds of thresholds and all directions fire exactly as evaluating every rule on every closed bucket would', () => {
    const band: Band = { mean: 50, sd: 10, n: 60 }
    const s = setup(band)
    const rnd = random(11)
    const directions = ['above', 'below', 'both'] as const
    const rules = Array.from({ length: 300 }, (_, k) => rule({ column: 'volume', op: 'anomaly', value: Math.round(rnd() * 400) / 100, direction: directions[k % 3] }))
    for (const r of rules) s.ev.upsert(r)
    const volumes = Array.from({ length: 200 }, () => Math.round(rnd() * 10_000) / 100)
    const first = (Math.floor(clock / 1000) + 1) * 1000
    for (const v of volumes) s.bucket(100, v)
    // At bucket i the bucket two seconds back closes (half a second of grace): the first two are empty (volume 0).
    const closedValues = [0, 0, ...volumes.slice(0, -2)]
    const expected = model(rules, closedValues, (r, v) => {
      const z = (v - band.mean) / band.sd
      const d = r.condition.direction === 'above' ? z : r.condition.direction === 'below' ? -z : Math.abs(z)
      return d > r.condition.value
    })
    // The bucket of closedValues[i] starts 2 s before the i-th bucket appended.
    expect(s.fired.map((a) => `${a.ruleId}@${(a.at - first) / 1000 + 2}`).sort()).toEqual(expected)
    expect(expected.length).toBeGreaterThan(300)
  })

  it('a tick evaluates only the rules whose threshold lies between the last value and this one', () => {
    const s = setup({ mean: 50, sd: 10, n: 60 })
    for (let k = 0; k < 1000; k++) s.ev.upsert(rule({ column: 'close', op: 'change_pct_above', value: k / 10, window_s: 3 }))
    for (let k = 0; k < 1000; k++) s.ev.upsert(rule({ column: 'volume', op: 'anomaly', value: k / 100, direction: 'above' }))
    for (const c of [100, 100, 100, 100, 101]) s.bucket(c, 50)
    const before = s.ev.stats().observations
    // +1 % held, then +1.5 %: the change_pct rules of 1.0 to 1.5 % (6); the volume's z stays 0: none of the anomaly rules.
    for (const c of [101, 101, 101.5]) s.bucket(c, 50)
    const observed = s.ev.stats().observations - before
    expect(observed).toBeGreaterThanOrEqual(6)
    expect(observed).toBeLessThan(20)
  })

  it('a rule added while its condition holds fires: change_pct at once, anomaly at the next closed bucket', () => {
    const s = setup({ mean: 50, sd: 10, n: 60 })
    s.ev.upsert(rule({ column: 'close', op: 'change_pct_above', value: 50, window_s: 3 }))
    s.ev.upsert(rule({ column: 'volume', op: 'anomaly', value: 5, direction: 'above' }))
    for (const c of [100, 100, 100, 130, 130, 130]) s.bucket(c, 200) // +30 %, z = 15
    expect(s.fired.map((a) => a.condition.op)).toEqual(['anomaly'])
    const pct = rule({ column: 'close', op: 'change_pct_above', value: 10, window_s: 3 })
    const anomaly = rule({ column: 'volume', op: 'anomaly', value: 3, direction: 'above' })
    s.ev.upsert(pct)
    s.ev.upsert(anomaly)
    expect(s.fired.map((a) => a.ruleId)).toContain(pct.id)
    expect(s.fired.map((a) => a.ruleId)).not.toContain(anomaly.id)
    s.bucket(130, 200)
    expect(s.fired.filter((a) => a.ruleId === anomaly.id)).toHaveLength(1)
  })

  it('a removed rule leaves its index: it never fires again, the others do', () => {
    const s = setup()
    const a = rule({ column: 'close', op: 'change_pct_above', value: 5, window_s: 3 })
    const b = rule({ column: 'close', op: 'change_pct_above', value: 5, window_s: 3 })
    s.ev.upsert(a)
    s.ev.upsert(b)
    s.ev.remove(a.id)
    for (const c of [100, 100, 100, 110]) s.bucket(c)
    expect(s.fired.map((x) => x.ruleId)).toEqual([b.id])
  })

  it('change_pct with for_s reports the value when it fires (the latest), not the one that started the episode', () => {
    const s = setup()
    s.ev.upsert(rule({ column: 'close', op: 'change_pct_above', value: 5, window_s: 3 }, { for_s: 2 }))
    for (const c of [100, 100, 100, 110, 111, 112]) s.bucket(c)
    expect(s.fired.map((a) => a.value)).toEqual([112])
  })
})
