/**
 * Order lines: orders of 1–4 lines (one event per line, one order_id), mostly completed,
 * some pending or cancelled, with now-and-then cancellation spikes in one shop, refunds
 * of lines that were completed and delivered earlier, and now and then a planted anomaly by
 * a returning customer (anomalies.ts), labelled in `anomalies()`.
 */
import { anomalyKinds, plantAnomaly, type AnomalyLabel } from './anomalies.ts'
import { createWeightedPicker, type Random } from './random.ts'
import type { Shop } from './shop-catalog.ts'
import type { OrderEvent, OrderStatus } from './types.ts'

const pickLineCount = createWeightedPicker([55, 25, 12, 8]) // 1, 2, 3 or 4 lines
const pickQuantity = createWeightedPicker([70, 18, 7, 3, 2]) // 1…5 units
const statuses: OrderStatus[] = ['completed', 'pending', 'cancelled']
const pickStatus = createWeightedPicker([86, 9, 5])
const refundProbability = 0.03
const spikeStartProbability = 0.0002
const spikeCancelProbability = 0.6
const refundableKept = 2000
const minRefundAgeMs = 5000
const anomalyProbability = 1 / 1000 // per new order
const labelsKept = 1000

export interface OrderSimulation {
  /** Exactly one order line per timestamp given; an order whose lines overflow continues in the next call. */
  orders(timestamps: readonly number[]): OrderEvent[]
  /** Marks lines as delivered, so their completed ones may be refunded later. */
  confirm(events: readonly OrderEvent[]): void
  /** Labels of the latest planted anomaly lines (up to 1,000), oldest first. */
  anomalies(): readonly AnomalyLabel[]
}

export function createOrderSimulation(random: Random, shops: readonly Shop[]): OrderSimulation {
  const pickShop = createWeightedPicker(shops.map((s) => s.traffic))
  const pending: OrderEvent[] = []
  const planted: OrderEvent[] = [] // lines of planted anomalies still to come, by time
  const labels: AnomalyLabel[] = []
  const refundable: OrderEvent[] = []
  let spike: { shopId: string; ordersLeft: number } | undefined // a cancellation spike, counted in that shop's orders
  let orderSeq = 0
  const orderPrefix = `ord-${random.hex(6)}`

  function drawStatus(shopId: string): OrderStatus {
    if (!spike && random.chance(spikeStartProbability)) {
      spike = { shopId: shops[pickShop(random.next())].shopId, ordersLeft: random.int(80, 250) }
    }
    if (spike?.shopId === shopId) {
      if (--spike.ordersLeft <= 0) spike = undefined
      if (random.chance(spikeCancelProbability)) return 'cancelled'
    }
    return statuses[pickStatus(random.next())]
  }

  /** A planted anomaly's lines from `ts` on: the first order now, the rest when their time comes. */
  function plant(ts: number): OrderEvent[] | undefined {
    const shop = shops[pickShop(random.next())]
    const customerId = shop.customers.recentBuyer(random)
    if (!customerId) return undefined
    const prices = shop.products.map((p) => p.unitPrice).sort((a, b) => a - b)
    const nextOrderId = () => `${orderPrefix}-${(orderSeq++).toString(36)}`
    const p = plantAnomaly(random, random.pick(anomalyKinds), { shop, customerId, usualLineAmount: prices[prices.length >> 1] * 1.5, ts, nextOrderId })
    labels.push(...p.labels)
    labels.splice(0, Math.max(0, labels.length - labelsKept))
    planted.push(...p.lines.filter((l) => l.ts > ts))
    planted.sort((a, b) => a.ts - b.ts)
    return p.lines.filter((l) => l.ts <= ts)
  }

  function newOrder(ts: number): OrderEvent[] {
    if (random.chance(anomalyProbability)) {
      const lines = plant(ts)
      if (lines?.length) return lines
    }
    const shop = shops[pickShop(random.next())]
    const customerId = shop.customers.nextBuyer(random)
    const orderId = `${orderPrefix}-${(orderSeq++).toString(36)}`
    const status = drawStatus(shop.shopId)
    const country = shop.countryOf(customerId)
    const lineCount = 1 + pickLineCount(random.next())
    const seen = new Set<string>()
    const lines: OrderEvent[] = []
    for (let i = 0; i < lineCount; i++) {
      const product = shop.pickProduct(random.next())
      if (seen.has(product.productId)) continue // one line per product in an order
      seen.add(product.productId)
      lines.push({
        order_id: orderId,
        ts,
        shop_id: shop.shopId,
        customer_id: customerId,
        product_id: product.productId,
        category: product.category,
        quantity: 1 + pickQuantity(random.next()),
        unit_price: product.unitPrice,
        unit_cost: product.unitCost,
        currency: shop.currency,
        status,
        country,
      })
    }
    return lines
  }

  /** Refunds a delivered completed line at least `minRefundAgeMs` old, if the one drawn is. */
  function refund(ts: number): OrderEvent | undefined {
    const i = random.int(0, refundable.length - 1)
    const line = refundable[i]
    if (ts - line.ts < minRefundAgeMs) return undefined
    refundable[i] = refundable[refundable.length - 1]
    refundable.pop()
    return { ...line, ts, status: 'refunded' }
  }

  return {
    orders(timestamps) {
      const out: OrderEvent[] = []
      for (const ts of timestamps) {
        if (pending.length === 0 && planted.length > 0 && planted[0].ts <= ts) pending.push(planted.shift() as OrderEvent)
        if (pending.length === 0) {
          const refunded = refundable.length > 0 && random.chance(refundProbability) ? refund(ts) : undefined
          pending.push(...(refunded ? [refunded] : newOrder(ts)))
        }
        out.push(pending.shift() as OrderEvent)
      }
      return out
    },
    anomalies: () => labels,
    confirm(events) {
      for (const e of events) {
        if (e.status !== 'completed') continue
        if (refundable.length < refundableKept) refundable.push(e)
        else refundable[random.int(0, refundableKept - 1)] = e
      }
    },
  }
}
