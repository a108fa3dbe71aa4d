/**
 * Synthetic commerce: five shops (two selling in EUR) with ~40 products in 8 categories,
 * returning customers, multi-line orders with refunds, and storefront funnels.
 */
import type { Random } from './random.ts'
import { createShops, type Shop } from './shop-catalog.ts'
import { createOrderSimulation } from './shop-orders.ts'
import { createStorefront } from './storefront.ts'
import type { AnomalyLabel } from './anomalies.ts'
import type { OrderEvent, WebEvent } from './types.ts'

export interface ShopSimulation {
  shops: readonly Shop[]
  /** Exactly one order line per timestamp given. */
  orders(timestamps: readonly number[]): OrderEvent[]
  /** Call with order lines once they were delivered; only delivered completed lines are refunded later. */
  confirmOrders(events: readonly OrderEvent[]): void
  /** Exactly one storefront event per timestamp given. */
  webEvents(timestamps: readonly number[]): WebEvent[]
  /** Labels of the latest planted anomaly lines (ingest/demo/anomalies.ts). */
  anomalies(): readonly AnomalyLabel[]
}

export function createShopSimulation(random: Random): ShopSimulation {
  const shops = createShops(random)
  const orderSimulation = createOrderSimulation(random, shops)
  const storefront = createStorefront(random, shops)
  return {
    shops,
    orders: orderSimulation.orders,
    confirmOrders: orderSimulation.confirm,
    webEvents: storefront.webEvents,
    anomalies: orderSimulation.anomalies,
  }
}
