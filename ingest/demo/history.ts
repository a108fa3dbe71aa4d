/**
 * Backfilled order history for one demo shop: weeks of order lines with daily and weekly
 * seasonality, a trend and day-to-day noise, customers who come back at their own pace and
 * spend at their own level, refunds days later, and planted anomalies with labels
 * (anomalies.ts). The benchmark (bench/insights) loads it to backtest `revenue_forecast`
 * and to score `order_risk` against the labels; the live generator (generator.ts) is for
 * `npm start` and has no calendar.
 *
 * Yields one batch per hour, in time order; a batch's lines may be a few minutes past its hour
 * (a planted burst), never before it.
 */
import { plantAnomaly, anomalyKinds, type AnomalyLabel } from './anomalies.ts'
import { createRandom, createWeightedPicker, hashUnit, type Random } from './random.ts'
import { createShops, type Product, type Shop } from './shop-catalog.ts'
import type { OrderEvent, OrderStatus } from './types.ts'

export interface ShopHistoryOptions {
  seed: number
  fromMs: number
  toMs: number
  /** Mean orders per hour at the start, averaged over the week. */
  ordersPerHour: number
  /** Which demo shop (1–5): its products, prices and countries. Default 1. */
  shopNo?: number
  /** Growth of the order rate per day, relative to the start (0.005 = +0.5 % a day). */
  trendPerDay?: number
  /** Share of orders that start a planted anomaly instead. Default 1/1500. */
  anomalyRate?: number
}

export interface HistoryBatch {
  hourStartMs: number
  orders: OrderEvent[]
  labels: AnomalyLabel[]
}

const hourMs = 3_600_000
const dayMs = 86_400_000
// Orders by UTC hour of day (an evening peak) and by day of week (Monday first; a busier weekend).
const hourProfile = [0.35, 0.25, 0.2, 0.18, 0.2, 0.3, 0.5, 0.75, 0.95, 1.05, 1.1, 1.15, 1.2, 1.2, 1.15, 1.1, 1.1, 1.2, 1.35, 1.5, 1.55, 1.4, 1.0, 0.6]
const dowProfile = [0.92, 0.9, 0.95, 1.0, 1.08, 1.2, 1.05]
const hourMean = hourProfile.reduce((a, b) => a + b, 0) / 24
const dowMean = dowProfile.reduce((a, b) => a + b, 0) / 7
const pickLineCount = createWeightedPicker([55, 25, 12, 8])
const pickQuantity = createWeightedPicker([70, 18, 7, 3, 2])
const statuses: OrderStatus[] = ['completed', 'pending', 'cancelled']
const pickStatus = createWeightedPicker([86, 9, 5])
const refundProbability = 0.03
const travelProbability = 0.004 // a legitimate order from another country of the market
const bulkProbability = 0.001 // a legitimate line of 8–15 units
const followUpProbability = 0.01 // the same customer orders again minutes later (forgot something)
const dailyNoise = 0.07 // standard deviation of a day's log-level: good and bad days

/** The seasonal order rate at `ms` relative to the week's mean, before trend and noise. */
export function seasonality(ms: number): number {
  const d = new Date(ms)
  return (hourProfile[d.getUTCHours()] / hourMean) * (dowProfile[(d.getUTCDay() + 6) % 7] / dowMean)
}

export function* shopHistory(o: ShopHistoryOptions): Generator<HistoryBatch> {
  const random = createRandom(o.seed)
  const shop = createShops(createRandom(o.seed ^ 0x5eed))[(o.shopNo ?? 1) - 1]
  const customers = createCustomers(random, shop, o.seed)
  const refunds = new Map<number, OrderEvent[]>() // hour index → refunds due in it
  const anomalyRate = o.anomalyRate ?? 1 / 1500
  let orderSeq = 0
  const nextOrderId = () => `h${o.seed.toString(36)}-${(orderSeq++).toString(36)}`
  let [day, dayLevel] = [NaN, 1]
  for (let hourStart = Math.floor(o.fromMs / hourMs) * hourMs; hourStart < o.toMs; hourStart += hourMs) {
    if (Math.floor(hourStart / dayMs) !== day) [day, dayLevel] = [Math.floor(hourStart / dayMs), Math.exp(dailyNoise * random.normal())]
    const days = (hourStart - o.fromMs) / dayMs
    const rate = o.ordersPerHour * seasonality(hourStart) * (1 + (o.trendPerDay ?? 0) * days) * dayLevel
    const stamps = Array.from({ length: poisson(random, rate) }, () => hourStart + random.int(0, hourMs - 1)).sort((a, b) => a - b)
    const batch: HistoryBatch = { hourStartMs: hourStart, orders: [...(refunds.get(hourStart / hourMs) ?? [])], labels: [] }
    refunds.delete(hourStart / hourMs)
    for (const ts of stamps) {
      if (ts >= o.toMs) continue
      const returning = customers.due(ts)
      if (returning && random.chance(anomalyRate)) {
        const plant = plantAnomaly(random, random.pick(anomalyKinds), { shop, customerId: returning, usualLineAmount: customers.usualLineAmount(returning), ts, nextOrderId })
        batch.orders.push(...plant.lines.filter((l) => l.ts < o.toMs))
        batch.labels.push(...plant.labels.filter((l) => l.ts < o.toMs))
        customers.bought(returning, ts)
        continue
      }
      const customerId = returning ?? customers.newCustomer()
      for (const line of customers.order(customerId, ts, nextOrderId())) {
        batch.orders.push(line)
        if (line.status === 'completed' && random.chance(refundProbability)) {
          const at = ts + random.int(2 * hourMs, 14 * dayMs)
          if (at < o.toMs) pushTo(refunds, Math.floor(at / hourMs), { ...line, ts: at, status: 'refunded' })
        }
      }
    }
    yield batch
  }
}

interface Customers {
  /** The returning customer due first, if one is due by `ts` (and takes them off the queue). */
  due(ts: number): string | undefined
  newCustomer(): string
  /** One order's lines; schedules the customer's next visit. */
  order(customerId: string, ts: number, orderId: string): OrderEvent[]
  bought(customerId: string, ts: number): void
  usualLineAmount(customerId: string): number
}

/** Each customer has a spending level, a pace and a loyalty, derived from the id. */
function createCustomers(random: Random, shop: Shop, seed: number): Customers {
  const prices = shop.products.map((p) => Math.log(p.unitPrice))
  const [lnLow, lnHigh] = [Math.min(...prices), Math.max(...prices)]
  const queue = createDueQueue()
  let seq = 0
  const trait = (id: string, name: string) => hashUnit(`${id}:${name}`)
  const tier = (id: string) => lnLow + trait(id, 'tier') * (lnHigh - lnLow)
  // Popular products near the customer's level: a few popularity draws, each kept with a
  // chance that falls with its distance from the level; the nearest draw if none is kept.
  const pick = (id: string): Product => {
    let best: Product | undefined
    for (let i = 0; i < 6; i++) {
      const product = shop.pickProduct(random.next())
      const d = Math.abs(Math.log(product.unitPrice) - tier(id))
      if (random.chance(Math.exp((-d * d) / (2 * 0.7 * 0.7)))) return product
      if (!best || d < Math.abs(Math.log(best.unitPrice) - tier(id))) best = product
    }
    return best!
  }
  const bought = (id: string, ts: number) => {
    if (random.chance(followUpProbability)) return queue.push(ts + random.int(60_000, 8 * 60_000), id)
    // Loyalty 55–90 % per order; a mean gap of 2–30 days.
    if (!random.chance(0.55 + 0.35 * trait(id, 'loyalty'))) return
    const meanGapMs = dayMs * Math.exp(Math.log(2) + trait(id, 'pace') * Math.log(15))
    queue.push(ts + Math.max(hourMs, -meanGapMs * Math.log(1 - random.next())), id)
  }
  return {
    due: (ts) => queue.popDue(ts),
    newCustomer: () => `hc${seed.toString(36)}-${(seq++).toString(36)}`,
    bought,
    usualLineAmount: (id) => Math.exp(tier(id)) * 1.5,
    order(id, ts, orderId) {
      const status = statuses[pickStatus(random.next())]
      const home = shop.countryOf(id)
      const country = random.chance(travelProbability) ? travelCountry(random, shop, home) : home
      const seen = new Set<string>()
      const lines: OrderEvent[] = []
      for (let i = 1 + pickLineCount(random.next()); i > 0; i--) {
        const product = pick(id)
        if (seen.has(product.productId)) continue
        seen.add(product.productId)
        const quantity = random.chance(bulkProbability) ? random.int(8, 15) : 1 + pickQuantity(random.next())
        lines.push({
          order_id: orderId, ts, shop_id: shop.shopId, customer_id: id, product_id: product.productId, category: product.category,
          quantity, unit_price: product.unitPrice, unit_cost: product.unitCost, currency: shop.currency, status, country,
        })
      }
      bought(id, ts)
      return lines
    },
  }
}

/** Another country the shop's market sells to (a customer on holiday). */
function travelCountry(random: Random, shop: Shop, home: string): string {
  for (let i = 0; i < 8; i++) {
    const c = shop.countryOf(`travel-${random.next()}`)
    if (c !== home) return c
  }
  return home
}

/** A binary min-heap of (due time, customer). */
function createDueQueue() {
  const ts: number[] = []
  const ids: string[] = []
  const swap = (i: number, j: number) => {
    ;[ts[i], ts[j]] = [ts[j], ts[i]]
    ;[ids[i], ids[j]] = [ids[j], ids[i]]
  }
  return {
    push(t: number, id: string) {
      ts.push(t)
      ids.push(id)
      for (let i = ts.length - 1; i > 0;) {
        const parent = (i - 1) >> 1
        if (ts[parent] <= ts[i]) break
        swap(i, parent)
        i = parent
      }
    },
    popDue(now: number): string | undefined {
      if (!ts.length || ts[0] > now) return undefined
      const id = ids[0]
      swap(0, ts.length - 1)
      ts.pop()
      ids.pop()
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2]
        let m = i
        if (l < ts.length && ts[l] < ts[m]) m = l
        if (r < ts.length && ts[r] < ts[m]) m = r
        if (m === i) break
        swap(i, m)
        i = m
      }
      return id
    },
  }
}

/** Poisson draw: Knuth below 30, a rounded normal above (the rates here are hundreds). */
function poisson(random: Random, lambda: number): number {
  if (lambda <= 0) return 0
  if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * random.normal()))
  const limit = Math.exp(-lambda)
  let k = 0
  for (let p = random.next(); p > limit; p *= random.next()) k++
  return k
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}
