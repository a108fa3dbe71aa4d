// The level index against brute force: the rules between two values, and the evaluator with
// the index firing exactly what checking every rule on every tick fires, on random prices.
import { describe, expect, it } from 'vitest'
import type { Principal } from '../../core/roles.ts'
import { createLogger } from '../log.ts'
import type { Cell } from '../protocol/index.ts'
import { holds, needsArming } from './conditions.ts'
import { createEvaluator } from './evaluator.ts'
import type { LiveFeed, TickListener } from './feed.ts'
import { LevelIndex } from './level-index.ts'
import type { Condition, Op, Rule } from './schema.ts'

/** A small deterministic generator (tests must be repeatable). */
function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
}

describe('level index', () => {
  it('finds exactly the levels between two values, both ends included, in level then insertion order', () => {
    const index = new LevelIndex<string>()
    for (const [level, name] of [[5, 'a'], [1, 'b'], [5, 'c'], [9, 'd'], [3, 'e']] as const) index.add(level, name)
    const between = (a: number, b: number) => {
      const out: string[] = []
      index.between(a, b, (x) => out.push(x))
      return out
    }
    expect(between(3, 5)).toEqual(['e', 'a', 'c'])
    expect(between(9.5, 4)).toEqual(['a', 'c', 'd'])
    expect(between(5.5, 8.9)).toEqual([])
    index.remove('a')
    expect(between(0, 100)).toEqual(['b', 'e', 'c', 'd'])
    expect(index.size).toBe(4)
  })

  it('the evaluator fires what a rule-by-rule check of every tick fires, on random prices and levels', () => {
    const rnd = random(42)
    const listeners: TickListener[] = []
    const feed: LiveFeed = { watch: (_c, _p, _pr: Principal, l) => (listeners.push(l), { close() {} }) }
    let clock = Date.parse('2026-11-23T10:00:00Z')
    const fired: string[] = []
    const ev = createEvaluator({ feed, log: createLogger('silent'), now: () => clock, onFire: (a) => fired.push(`${a.ruleId}@${a.at}`) })
    const ops: Op[] = ['>', '<', '>=', '<=', 'crosses_above', 'crosses_below']
    const conditions: Condition[] = Array.from({ length: 500 }, (_, k) => ({ column: k % 3 ? 'close' : 'high', op: ops[k % ops.length], value: Math.round(90 + rnd() * 20) }))
    conditions.forEach((condition, k) => ev.upsert({
      id: `r${k}`, owner: 'o', name: 'n', channel: 'candles', params: { symbol: 'X', interval: '1s' }, condition, for_s: 0, cooldown_s: 0, notify: [],
      access: { roles: ['trader'], symbols: '*', shops: '*', expiresAt: clock + 86_400_000 }, muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: 0, updatedAt: 0,
    }))
    // The reference: every rule on every tick, the same edge rules (fire when the condition becomes true; crosses need the other side first).
    const ref = conditions.map(() => ({ holding: false, armed: false }))
    const expected: string[] = []
    const rows: Cell[][] = []
    let price = 100
    for (let tick = 0; tick < 400; tick++) {
      clock += 1000
      price = Math.round((price + (rnd() - 0.5) * 6) * 2) / 2
      const high = price + Math.round(rnd() * 4)
      const row: Cell[] = [clock, price, high, price - 1, price, 1, 1, price]
      rows.push(row)
      listeners[0]({ topic: 'x', seq: tick + 1, rows: () => rows }, tick === 0 ? null : { append: [row], replace: [], remove: [] })
      conditions.forEach((c, k) => {
        const h = holds(c, c.column === 'high' ? high : price)!
        const r = ref[k]
        if (!h) return void Object.assign(r, { holding: false, armed: true })
        if (!r.holding && (!needsArming(c) || r.armed)) expected.push(`r${k}@${clock}`)
        r.holding = true
      })
    }
    expect(expected.length).toBeGreaterThan(500)
    expect(fired.sort()).toEqual(expected.sort())
  })
})
