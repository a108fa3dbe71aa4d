// In-process cost of evaluating rules: the evaluator fed by a fake live feed, ticks of 1 s
// candles (4 ticks a bucket) on `channels` channels, with 0 and with N rules (the scenario's mix), timed in
// the same process and run. ClickHouse and the network play no part: this is the CPU that
// rules add to each live tick, without the noise of a shared machine's other work.
import { performance } from 'node:perf_hooks'
import { createEvaluator } from '../../api/alerts/evaluator.ts'
import type { LiveFeed, TickListener } from '../../api/alerts/feed.ts'
import type { Rule } from '../../api/alerts/schema.ts'
import { createLogger } from '../../api/log.ts'
import type { Cell } from '../../api/protocol/index.ts'
import { median, percentile } from '../lib/stats.ts'

export interface CostResult { rules: number; channels: number; ticks: number; msPerTickP50: number | null; msPerTickP99: number | null; msPerTickMean: number | null; observationsPerTick: number }

/** Live ticks per 1 s candle: the gateway's default tick is 250 ms. */
export const ticksPerBucket = 4

/** `rules` rules over `channels` candle channels; each tick moves every channel's open candle. */
export function evaluationCost(rules: number, channels: number, ticks: number, rule: (k: number, symbols: string[]) => Omit<Rule, 'id' | 'owner' | 'access' | 'muted' | 'snoozedUntil' | 'ackedAt' | 'version' | 'createdAt' | 'updatedAt' | 'notify' | 'for_s' | 'cooldown_s'> & Partial<Rule>): CostResult {
  const listeners: TickListener[] = []
  const feed: LiveFeed = { watch: (_c, _p, _pr, l) => (listeners.push(l), { close() {} }) }
  let clock = Date.parse('2026-11-23T10:00:00Z')
  const ev = createEvaluator({ feed, log: createLogger('silent'), now: () => clock, onFire: () => {}, bands: { watch: () => ({ get: () => ({ mean: 1, sd: 1, n: 100 }), close() {} }) } })
  const symbols = Array.from({ length: channels }, (_, i) => `SYM${i}`)
  // Through JSON, as rules reach the evaluator (from ClickHouse rows and request bodies).
  for (let k = 0; k < rules; k++) {
    ev.upsert(JSON.parse(JSON.stringify({ id: `r${k}`, owner: `u${k % 100}`, notify: [], for_s: 0, cooldown_s: 60, access: { roles: ['trader'], symbols: '*', shops: '*', expiresAt: clock + 86_400_000 },
      muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: 0, updatedAt: 0, ...rule(k, symbols) })) as Rule)
  }
  if (!rules) for (const symbol of symbols) ev.upsert({ id: symbol, owner: 'u', name: 'one', channel: 'candles', params: { symbol, interval: '1s' }, condition: { column: 'close', op: '>', value: 1e9 }, notify: [], for_s: 0, cooldown_s: 60, access: { roles: ['trader'], symbols: '*', shops: '*', expiresAt: clock + 86_400_000 }, muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: 0, updatedAt: 0 })
  const rows = listeners.map(() => [] as Cell[][])
  const times: number[] = []
  const skip = Math.floor(ticks / 5)
  let observedBefore = 0
  for (let t = 0; t < ticks; t++) {
    clock += 1000 / ticksPerBucket
    const bucket = Math.floor(clock / 1000) * 1000
    const t0 = performance.now()
    listeners.forEach((l, i) => {
      // The open candle moves on every tick, as under the live load: a replace, or an append when its bucket is new.
      const row: Cell[] = [bucket, 100, 101 + (t % 7), 99, 100 + (t % 10) / 10 + i / 100, 5 + t, 3 + t, 100.2 + (t % 5) / 100]
      const fresh = rows[i].at(-1)?.[0] !== bucket
      if (fresh) rows[i].push(row)
      else rows[i][rows[i].length - 1] = row
      l({ topic: `t${i}`, seq: t + 1, rows: () => rows[i] }, t === 0 ? null : { append: fresh ? [row] : [], replace: fresh ? [] : [row], remove: [] })
    })
    times.push(performance.now() - t0)
    if (t === skip - 1) observedBefore = ev.stats().observations
  }
  const measured = times.slice(skip).sort((a, b) => a - b)
  const p50 = percentile(measured, 50)
  const mean = measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : null
  const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000)
  return {
    rules, channels, ticks, msPerTickP50: r3(p50), msPerTickP99: r3(percentile(measured, 99)), msPerTickMean: r3(mean),
    observationsPerTick: Math.round(((ev.stats().observations - observedBefore) / (ticks - skip)) * 10) / 10,
  }
}

export { median }
