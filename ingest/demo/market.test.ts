import { describe, it, expect } from 'vitest'
import { tradeProblems, unknownKeys } from './event-checks.ts'
import { createMarket, instruments } from './market.ts'
import { createRandom } from './random.ts'
import type { TradeEvent } from './types.ts'

const t0 = Date.UTC(2025, 0, 6, 14, 30)

function run(seed: number, count: number): TradeEvent[] {
  const market = createMarket(createRandom(seed))
  const out: TradeEvent[] = []
  // Batches of 100 trades spread over 50 ms, as the generator sends them.
  for (let batch = 0; out.length < count; batch++) {
    out.push(...market.trades(Array.from({ length: 100 }, (_, i) => t0 + batch * 50 + Math.floor(i / 2))))
  }
  return out
}

describe('market', () => {
  const trades = run(11, 50_000)

  it('lists about 50 distinct, valid symbols with positive prices and sizes', () => {
    expect(instruments.length).toBeGreaterThanOrEqual(45)
    expect(new Set(instruments.map((i) => i.symbol)).size).toBe(instruments.length)
    for (const i of instruments) {
      expect(i.symbol).toMatch(/^[A-Z0-9.\-_/]{1,32}$/)
      expect(i.startPrice).toBeGreaterThan(0)
      expect(i.typicalQty).toBeGreaterThan(0)
    }
    for (const s of ['AAPL', 'MSFT', 'BTC-USD', 'ETH-USD', 'EUR/USD']) expect(instruments.map((i) => i.symbol)).toContain(s)
  })

  it('emits exactly one trade per timestamp, every one valid', () => {
    const market = createMarket(createRandom(5))
    expect(market.trades([t0, t0 + 1, t0 + 2])).toHaveLength(3)
    expect(market.trades([])).toHaveLength(0)
    expect(trades.flatMap((t) => tradeProblems({ ...t })).slice(0, 5)).toEqual([])
    expect(unknownKeys('trades', trades)).toEqual([])
  })

  it('is deterministic for a seed', () => {
    expect(run(11, 2_000)).toEqual(trades.slice(0, 2_000))
    expect(run(12, 2_000)).not.toEqual(trades.slice(0, 2_000))
  })

  it('trades most symbols on several venues with unique ids', () => {
    expect(new Set(trades.map((t) => t.symbol)).size).toBeGreaterThanOrEqual(45)
    expect(new Set(trades.map((t) => t.venue)).size).toBeGreaterThanOrEqual(8)
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length)
  })

  it('has sweeps: consecutive fills of one symbol and side sharing a timestamp', () => {
    let sweeps = 0
    for (let i = 1; i < trades.length; i++) {
      const [a, b] = [trades[i - 1], trades[i]]
      if (a.ts === b.ts && a.symbol === b.symbol && a.side === b.side) sweeps++
    }
    expect(sweeps).toBeGreaterThan(trades.length * 0.02)
  })

  it('walks prices without running away and balances sides', () => {
    const bySymbol = new Map<string, number[]>()
    for (const t of trades) {
      const prices = bySymbol.get(t.symbol) ?? []
      prices.push(t.price)
      bySymbol.set(t.symbol, prices)
    }
    for (const instrument of instruments) {
      const prices = bySymbol.get(instrument.symbol) ?? []
      if (prices.length === 0) continue
      expect(Math.min(...prices) / instrument.startPrice).toBeGreaterThan(0.5)
      expect(Math.max(...prices) / instrument.startPrice).toBeLessThan(2)
      if (prices.length > 100) expect(new Set(prices).size).toBeGreaterThan(5)
    }
    const buys = trades.filter((t) => t.side === 'buy').length / trades.length
    expect(buys).toBeGreaterThan(0.4)
    expect(buys).toBeLessThan(0.6)
  })

  it('sizes trades log-normally: mostly near typical, with a long right tail', () => {
    const aapl = trades.filter((t) => t.symbol === 'AAPL').map((t) => t.qty).sort((a, b) => a - b)
    const median = aapl[Math.floor(aapl.length / 2)]
    expect(median).toBeGreaterThan(30)
    expect(median).toBeLessThan(150)
    expect(aapl[aapl.length - 1]).toBeGreaterThan(3 * median)
    for (const q of aapl) expect(Number.isInteger(q)).toBe(true)
  })
})
