import { describe, expect, it } from 'vitest'
import { orderProblems, unknownKeys } from './event-checks.ts'
import { seasonality, shopHistory, type HistoryBatch } from './history.ts'
import type { OrderEvent } from './types.ts'

const day = 86_400_000
const from = Date.UTC(2025, 0, 6) // a Monday
const to = from + 28 * day

const run = (o: Partial<Parameters<typeof shopHistory>[0]> = {}) => [...shopHistory({ seed: 3, fromMs: from, toMs: to, ordersPerHour: 60, trendPerDay: 0.01, ...o })]
const batches = run()
const lines = batches.flatMap((b) => b.orders)
const labels = batches.flatMap((b) => b.labels)
const sales = lines.filter((l) => l.status !== 'refunded')

const ordersWhere = (pred: (l: OrderEvent) => boolean) => new Set(sales.filter(pred).map((l) => l.order_id)).size

describe('shop history', () => {
  it('emits valid order lines of one shop inside the range, one batch per hour in time order', () => {
    expect(lines.length).toBeGreaterThan(20_000)
    expect(lines.flatMap((o) => orderProblems({ ...o })).slice(0, 5)).toEqual([])
    expect(unknownKeys('orders', lines)).toEqual([])
    expect(new Set(lines.map((l) => l.shop_id))).toEqual(new Set(['shop-1']))
    expect(lines.every((l) => l.ts >= from && l.ts < to)).toBe(true)
    expect(batches.map((b) => b.hourStartMs)).toEqual(Array.from({ length: 28 * 24 }, (_, i) => from + i * 3_600_000))
    for (const b of batches) expect(b.orders.every((l) => l.ts >= b.hourStartMs), 'never before its hour').toBe(true)
  })

  it('is deterministic for a seed', () => {
    const again = run().slice(0, 48)
    expect(again).toEqual(batches.slice(0, 48) as HistoryBatch[])
    expect(run({ seed: 4 })[10].orders).not.toEqual(batches[10].orders)
  })

  it('follows the hour of day, the day of week and the trend', () => {
    const atHour = (h: number) => ordersWhere((l) => new Date(l.ts).getUTCHours() === h)
    expect(atHour(20)).toBeGreaterThan(4 * atHour(3))
    const weekday = (d: number) => ordersWhere((l) => new Date(l.ts).getUTCDay() === d)
    expect(weekday(6)).toBeGreaterThan(1.15 * weekday(2)) // Saturday over Tuesday
    const firstWeek = ordersWhere((l) => l.ts < from + 7 * day)
    const lastWeek = ordersWhere((l) => l.ts >= to - 7 * day)
    expect(lastWeek / firstWeek).toBeGreaterThan(1.12) // +1 %/day over 3 weeks: ~1.21 before noise
    expect(seasonality(Date.UTC(2025, 0, 11, 20))).toBeGreaterThan(seasonality(Date.UTC(2025, 0, 7, 3)) * 5)
  })

  it('has returning customers who spend at their own level', () => {
    const byCustomer = new Map<string, OrderEvent[]>()
    for (const l of sales) byCustomer.set(l.customer_id, [...(byCustomer.get(l.customer_id) ?? []), l])
    const orders = [...byCustomer.values()].map((ls) => new Set(ls.map((l) => l.order_id)).size)
    expect(orders.filter((n) => n >= 3).length / orders.length).toBeGreaterThan(0.1)
    // Spend level: the spread of a customer's unit prices (in ln) is well below the shop's.
    const ln = (ls: OrderEvent[]) => ls.map((l) => Math.log(l.unit_price))
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length - (xs.reduce((a, x) => a + x, 0) / xs.length) ** 2)
    const within = [...byCustomer.values()].filter((ls) => ls.length >= 5).map((ls) => sd(ln(ls)))
    expect(within.reduce((a, b) => a + b, 0) / within.length).toBeLessThan(0.7 * sd(ln(sales)))
  })

  it('refunds completed lines later, each once', () => {
    const refunds = lines.filter((l) => l.status === 'refunded')
    expect(refunds.length / lines.length).toBeGreaterThan(0.01)
    const sold = new Map(sales.filter((l) => l.status === 'completed').map((l) => [`${l.order_id}/${l.product_id}`, l]))
    for (const r of refunds) expect(sold.get(`${r.order_id}/${r.product_id}`)!.ts).toBeLessThan(r.ts)
    expect(new Set(refunds.map((r) => `${r.order_id}/${r.product_id}`)).size).toBe(refunds.length)
  })

  it('plants each kind of anomaly, labelled line by line', () => {
    expect(new Set(labels.map((l) => l.kind))).toEqual(new Set(['amount_spike', 'account_takeover', 'card_testing', 'bulk_quantity']))
    const byKey = new Map(lines.map((l) => [`${l.order_id}/${l.product_id}`, l]))
    const planted = labels.map((l) => ({ ...l, line: byKey.get(`${l.order_id}/${l.product_id}`)! }))
    expect(planted.every((p) => p.line && p.line.ts === p.ts)).toBe(true)
    const home = new Set(sales.filter((l) => !labels.some((x) => x.order_id === l.order_id)).map((l) => l.country))
    for (const p of planted.filter((x) => x.kind === 'account_takeover')) expect(home.has(p.line.country!)).toBe(false)
    for (const p of planted.filter((x) => x.kind === 'bulk_quantity')) expect(p.line.quantity).toBeGreaterThanOrEqual(25)
    // Card testing: one customer's orders, at least five within ten minutes.
    const testers = new Set(planted.filter((x) => x.kind === 'card_testing').map((x) => x.line.customer_id))
    for (const c of testers) {
      const ts = [...new Set(planted.filter((x) => x.line.customer_id === c && x.kind === 'card_testing').map((x) => x.ts))].sort((a, b) => a - b)
      expect(ts.some((t, i) => ts[i + 4] !== undefined && ts[i + 4] - t <= 600_000)).toBe(true)
    }
    // About one order in 1,500 starts a plant.
    const plants = new Set(labels.map((l) => `${l.kind}:${byKey.get(`${l.order_id}/${l.product_id}`)!.customer_id}`)).size
    const orders = new Set(sales.map((l) => l.order_id)).size
    expect(plants / orders).toBeGreaterThan(1 / 4000)
    expect(plants / orders).toBeLessThan(1 / 600)
  })
})
