/** Event shapes the demo generator emits, as docs/events.md defines them (ts in epoch milliseconds). */
import type { orderStatuses, Stream, tradeSides, webEventTypes } from '../../core/events.ts'

export type DemoStream = Stream

export type TradeSide = (typeof tradeSides)[number]

export interface TradeEvent {
  id?: string
  ts: number
  symbol: string
  price: number
  qty: number
  side: TradeSide
  venue?: string
}

export type OrderStatus = (typeof orderStatuses)[number]

/** One order line; the lines of an order share `order_id`, `ts`, `status` and the customer fields. */
export interface OrderEvent {
  order_id: string
  ts: number
  shop_id: string
  customer_id: string
  product_id: string
  category: string
  quantity: number
  unit_price: number
  unit_cost?: number
  currency: string
  status: OrderStatus
  country?: string
}

export type WebEventType = (typeof webEventTypes)[number]

export interface WebEvent {
  ts: number
  session_id: string
  shop_id: string
  type: WebEventType
  customer_id?: string
  product_id?: string
}

export interface DemoEventsByStream {
  trades: TradeEvent
  orders: OrderEvent
  web_events: WebEvent
}
