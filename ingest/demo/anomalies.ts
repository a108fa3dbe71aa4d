/**
 * Planted, labelled order anomalies: what `order_risk` should flag and the benchmark scores it
 * against (bench/insights). Each plant is one or more whole orders by an existing customer,
 * and every line of them is labelled with its kind. Kinds follow the risk signals they are
 * meant to trip, so precision and recall can be read per kind:
 * - `amount_spike`: one order far above what this customer usually spends (expensive products, several units).
 * - `account_takeover`: 2–4 orders within half an hour from a country the customer never ordered from, expensive products.
 * - `card_testing`: 5–10 cheap one-unit orders seconds apart (velocity).
 * - `bulk_quantity`: one line of 25–80 units where buyers take 1–5.
 */
import { type Random } from './random.ts'
import type { Product, Shop } from './shop-catalog.ts'
import type { OrderEvent } from './types.ts'

export const anomalyKinds = ['amount_spike', 'account_takeover', 'card_testing', 'bulk_quantity'] as const
export type AnomalyKind = (typeof anomalyKinds)[number]

/** One planted line: the bench matches flagged lines to labels by (order_id, product_id). */
export interface AnomalyLabel {
  order_id: string
  product_id: string
  customer_id: string
  kind: AnomalyKind
  ts: number
}

export interface PlantContext {
  shop: Shop
  customerId: string
  /** The customer's usual line amount (their typical spend per line), to plant a spike well above it. */
  usualLineAmount: number
  /** Start of the anomaly. */
  ts: number
  nextOrderId: () => string
}

/** Countries no demo shop sells to (core/events.ts wants ISO-3166 alpha-2). */
const foreignCountries = ['NG', 'RU', 'BR', 'VN', 'UA', 'RO', 'ID', 'PK']

export interface Plant {
  lines: OrderEvent[]
  labels: AnomalyLabel[]
}

export function plantAnomaly(random: Random, kind: AnomalyKind, c: PlantContext): Plant {
  const byPrice = [...c.shop.products].sort((a, b) => a.unitPrice - b.unitPrice)
  const top = byPrice.slice(Math.floor(byPrice.length * 0.8))
  const cheap = byPrice.slice(0, Math.max(1, Math.floor(byPrice.length * 0.2)))
  const orders: { ts: number; country: string; items: { product: Product; quantity: number }[] }[] = []
  const home = c.shop.countryOf(c.customerId)
  if (kind === 'amount_spike') {
    // 30–100× the usual line: the most expensive products, as many units as it takes.
    const target = c.usualLineAmount * random.uniform(30, 100)
    const product = random.pick(top)
    orders.push({ ts: c.ts, country: home, items: [{ product, quantity: Math.max(2, Math.min(40, Math.ceil(target / product.unitPrice))) }] })
  } else if (kind === 'account_takeover') {
    const country = random.pick(foreignCountries)
    let ts = c.ts
    for (let i = random.int(2, 4); i > 0; i--) {
      const items = [{ product: random.pick(top), quantity: random.int(1, 3) }]
      if (random.chance(0.4)) items.push({ product: random.pick(top), quantity: random.int(1, 2) })
      orders.push({ ts, country, items })
      ts += random.int(2, 10) * 60_000
    }
  } else if (kind === 'card_testing') {
    let ts = c.ts
    for (let i = random.int(5, 10); i > 0; i--) {
      orders.push({ ts, country: home, items: [{ product: random.pick(cheap), quantity: 1 }] })
      ts += random.int(15, 60) * 1000
    }
  } else {
    orders.push({ ts: c.ts, country: home, items: [{ product: c.shop.pickProduct(random.next()), quantity: random.int(25, 80) }] })
  }
  return toPlant(kind, c, orders)
}

function toPlant(kind: AnomalyKind, c: PlantContext, orders: { ts: number; country: string; items: { product: Product; quantity: number }[] }[]): Plant {
  const lines: OrderEvent[] = []
  const labels: AnomalyLabel[] = []
  for (const o of orders) {
    const orderId = c.nextOrderId()
    const seen = new Set<string>()
    for (const { product, quantity } of o.items) {
      if (seen.has(product.productId)) continue // one line per product in an order
      seen.add(product.productId)
      lines.push({
        order_id: orderId, ts: o.ts, shop_id: c.shop.shopId, customer_id: c.customerId, product_id: product.productId,
        category: product.category, quantity, unit_price: product.unitPrice, unit_cost: product.unitCost,
        currency: c.shop.currency, status: 'completed', country: o.country,
      })
      labels.push({ order_id: orderId, product_id: product.productId, customer_id: c.customerId, kind, ts: o.ts })
    }
  }
  return { lines, labels }
}
