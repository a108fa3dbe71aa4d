import { describe, it, expect } from 'vitest'
import { orderProblems, unknownKeys, webEventProblems } from './event-checks.ts'
import { createRandom } from './random.ts'
import { createShopSimulation, type ShopSimulation } from './shop.ts'
import type { OrderEvent, WebEvent } from './types.ts'

const t0 = Date.UTC(2025, 0, 6, 9)
const funnel = ['view', 'add_to_cart', 'checkout', 'purchase'] as const

/** Batches of 20 one ms apart, each confirmed as delivered before the next, as the generator does. */
function runOrders(sim: ShopSimulation, count: number): OrderEvent[] {
  const out: OrderEvent[] = []
  for (let batch = 0; out.length < count; batch++) {
    const events = sim.orders(Array.from({ length: 20 }, (_, i) => t0 + batch * 50 + i))
    sim.confirmOrders(events)
    out.push(...events)
  }
  return out
}

function runWebEvents(sim: ShopSimulation, count: number): WebEvent[] {
  const out: WebEvent[] = []
  for (let batch = 0; out.length < count; batch++) {
    out.push(...sim.webEvents(Array.from({ length: 40 }, (_, i) => t0 + batch * 50 + Math.floor(i / 2))))
  }
  return out
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const group = groups.get(key(item))
    if (group) group.push(item)
    else groups.set(key(item), [item])
  }
  return groups
}

describe('shops', () => {
  const sim = createShopSimulation(createRandom(21))

  it('has five shops of ~40 products in 8 categories, cost below price, one or two in EUR', () => {
    expect(sim.shops.map((s) => s.shopId)).toEqual(['shop-1', 'shop-2', 'shop-3', 'shop-4', 'shop-5'])
    for (const shop of sim.shops) {
      expect(shop.products).toHaveLength(40)
      expect(new Set(shop.products.map((p) => p.category)).size).toBe(8)
      for (const p of shop.products) {
        expect(p.unitCost).toBeGreaterThan(0)
        expect(p.unitCost).toBeLessThan(p.unitPrice)
      }
    }
    const eur = sim.shops.filter((s) => s.currency === 'EUR').length
    expect(eur >= 1 && eur <= 2).toBe(true)
  })
})

describe('orders', () => {
  const sim = createShopSimulation(createRandom(22))
  const orders = runOrders(sim, 40_000)

  it('emits one valid line per timestamp', () => {
    expect(sim.orders([t0, t0, t0])).toHaveLength(3)
    expect(orders.flatMap((o) => orderProblems({ ...o })).slice(0, 5)).toEqual([])
    expect(unknownKeys('orders', orders)).toEqual([])
  })

  it('is deterministic for a seed', () => {
    expect(runOrders(createShopSimulation(createRandom(22)), 1_000)).toEqual(orders.slice(0, 1_000))
  })

  it('groups 1–4 lines per order that share the order fields and differ in product', () => {
    const sales = orders.filter((o) => o.status !== 'refunded')
    const byOrder = groupBy(sales, (o) => o.order_id)
    const sizes = [0, 0, 0, 0, 0]
    const shared = (o: OrderEvent) => [o.ts, o.shop_id, o.customer_id, o.currency, o.status, o.country].join()
    const broken: string[] = []
    for (const [orderId, lines] of byOrder) {
      sizes[Math.min(lines.length, 4)]++
      const ok = lines.length <= 4 &&
        new Set(lines.map(shared)).size === 1 &&
        new Set(lines.map((o) => o.product_id)).size === lines.length
      if (!ok) broken.push(orderId)
    }
    expect(broken).toEqual([])
    expect(sizes[1]).toBeGreaterThan(sizes[2])
    expect(sizes[4]).toBeGreaterThan(0)
  })

  it('is mostly completed, some pending and cancelled, a few refunded', () => {
    const share = (status: string) => orders.filter((o) => o.status === status).length / orders.length
    expect(share('completed')).toBeGreaterThan(0.75)
    expect(share('pending')).toBeGreaterThan(0.03)
    expect(share('cancelled')).toBeGreaterThan(0.02)
    expect(share('refunded')).toBeGreaterThan(0.005)
    expect(share('refunded')).toBeLessThan(0.05)
  })

  it('refunds only lines completed earlier, each at most once', () => {
    const completed = new Map<string, OrderEvent>()
    const refunded = new Set<string>()
    let refunds = 0
    for (const o of orders) {
      const key = `${o.order_id}/${o.product_id}`
      if (o.status === 'completed') completed.set(key, o)
      if (o.status !== 'refunded') continue
      refunds++
      const sale = completed.get(key)
      expect(sale, `refund ${key} without an earlier completed line`).toBeDefined()
      expect(o.ts).toBeGreaterThan(sale!.ts)
      expect({ ...o, ts: 0, status: '' }).toEqual({ ...sale, ts: 0, status: '' })
      expect(refunded.has(key)).toBe(false)
      refunded.add(key)
    }
    expect(refunds).toBeGreaterThan(100)
  })

  it('never refunds lines that were not confirmed as delivered', () => {
    const unconfirmed = createShopSimulation(createRandom(23))
    const events = unconfirmed.orders(Array.from({ length: 5_000 }, (_, i) => t0 + i))
    expect(events.filter((o) => o.status === 'refunded')).toEqual([])
  })

  it('has returning customers, some buying often', () => {
    const perCustomer = [...groupBy(orders.filter((o) => o.status !== 'refunded'), (o) => o.customer_id).values()]
      .map((lines) => new Set(lines.map((o) => o.order_id)).size)
    const returning = perCustomer.filter((n) => n > 1).length
    expect(returning / perCustomer.length).toBeGreaterThan(0.2)
    expect(Math.max(...perCustomer)).toBeGreaterThanOrEqual(10)
  })

  it('sells in USD and EUR, to customers with a fixed country (planted account takeovers apart)', () => {
    expect(new Set(orders.map((o) => o.currency))).toEqual(new Set(['USD', 'EUR']))
    const takeovers = new Set(sim.anomalies().filter((l) => l.kind === 'account_takeover').map((l) => `${l.order_id}/${l.product_id}`))
    for (const lines of groupBy(orders.filter((o) => !takeovers.has(`${o.order_id}/${o.product_id}`)), (o) => o.customer_id).values()) {
      expect(new Set(lines.map((o) => o.country)).size).toBe(1)
    }
  })

  it('plants labelled anomalies by returning customers, every labelled line sent', () => {
    const labels = sim.anomalies()
    expect(labels.length).toBeGreaterThan(10)
    const sent = new Map(orders.map((o) => [`${o.order_id}/${o.product_id}`, o]))
    // A plant spans up to half an hour; lines whose time has not come yet wait, every earlier one was sent.
    const lastTs = Math.max(...orders.map((o) => o.ts))
    expect(labels.filter((l) => l.ts <= lastTs && !sent.has(`${l.order_id}/${l.product_id}`))).toEqual([])
    expect(new Set(labels.filter((l) => sent.has(`${l.order_id}/${l.product_id}`)).map((l) => l.kind)).size).toBeGreaterThanOrEqual(3)
    for (const l of labels.filter((x) => sent.has(`${x.order_id}/${x.product_id}`))) {
      const line = sent.get(`${l.order_id}/${l.product_id}`)!
      expect(line.ts).toBe(l.ts)
      expect(orders.some((o) => o.customer_id === line.customer_id && o.order_id !== line.order_id && o.ts < line.ts), `${l.kind} by a returning customer`).toBe(true)
      if (l.kind === 'bulk_quantity') expect(line.quantity).toBeGreaterThanOrEqual(25)
      if (l.kind === 'card_testing') expect(line.quantity).toBe(1)
    }
  })

  it('now and then spikes cancellations in one shop', () => {
    // Per shop, windows of 200 orders: the worst holds far more cancellations than the typical one.
    const firstLines = [...groupBy(orders, (o) => o.order_id).values()].map((lines) => lines[0])
    const perWindow: number[] = []
    for (const shopOrders of groupBy(firstLines, (o) => o.shop_id).values()) {
      for (let i = 0; i + 200 <= shopOrders.length; i += 200) {
        perWindow.push(shopOrders.slice(i, i + 200).filter((o) => o.status === 'cancelled').length)
      }
    }
    const sorted = [...perWindow].sort((a, b) => a - b)
    expect(sorted[sorted.length - 1]).toBeGreaterThan(4 * sorted[Math.floor(sorted.length / 2)])
  })
})

describe('storefront', () => {
  const sim = createShopSimulation(createRandom(31))
  runOrders(sim, 2_000) // customers exist before anyone signs in
  const events = runWebEvents(sim, 60_000)

  it('emits one valid event per timestamp', () => {
    expect(sim.webEvents([t0, t0])).toHaveLength(2)
    expect(events.flatMap((e) => webEventProblems({ ...e })).slice(0, 5)).toEqual([])
    expect(unknownKeys('web_events', events)).toEqual([])
  })

  it('counts fall along the funnel: view ≥ add_to_cart ≥ checkout ≥ purchase', () => {
    const counts = funnel.map((type) => events.filter((e) => e.type === type).length)
    for (let i = 1; i < counts.length; i++) expect(counts[i - 1]).toBeGreaterThanOrEqual(counts[i])
    expect(counts[3]).toBeGreaterThan(0)
    // Roughly 30% of sessions add to cart, half of those check out, 70% of those buy.
    expect(counts[2] / counts[1]).toBeGreaterThan(0.4)
    expect(counts[2] / counts[1]).toBeLessThan(0.6)
    expect(counts[3] / counts[2]).toBeGreaterThan(0.6)
    expect(counts[3] / counts[2]).toBeLessThan(0.8)
  })

  it('walks each session through the funnel in order, in one shop, forward in time', () => {
    const sessions = groupBy(events, (e) => e.session_id)
    const broken: string[] = []
    let carts = 0
    for (const [sessionId, steps] of sessions) {
      const stages = steps.map((e) => funnel.indexOf(e.type))
      const inOrder = stages.every((stage, i) => (i === 0 ? stage === 0 : stage === 0 ? stages[i - 1] === 0 : stage === stages[i - 1] + 1))
      const forward = steps.every((e, i) => i === 0 || e.ts >= steps[i - 1].ts)
      const oneVisitor = new Set(steps.map((e) => `${e.shop_id}/${e.customer_id}`)).size === 1
      if (!inOrder || !forward || !oneVisitor) broken.push(sessionId)
      if (stages.includes(1)) carts++
    }
    expect(broken).toEqual([])
    expect(carts / sessions.size).toBeGreaterThan(0.2)
    expect(carts / sessions.size).toBeLessThan(0.4)
  })

  it('signs some sessions in as known customers', () => {
    const withCustomer = events.filter((e) => e.customer_id !== undefined).length
    expect(withCustomer / events.length).toBeGreaterThan(0.1)
    expect(withCustomer / events.length).toBeLessThan(0.7)
  })

  it('now and then bursts views on one product', () => {
    // A burst shows as one product's views in a window of 1,000 events far above its usual share.
    let peak = 0
    for (let i = 0; i + 1_000 <= events.length; i += 1_000) {
      const views = groupBy(events.slice(i, i + 1_000).filter((e) => e.type === 'view'), (e) => e.product_id ?? '')
      peak = Math.max(peak, ...[...views.values()].map((v) => v.length))
    }
    expect(peak).toBeGreaterThan(200)
  })
})
