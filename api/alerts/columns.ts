// What rules need to know about the live channels' columns beyond their meta: which hold
// text (not comparable), and which are sums (a bucket with no rows is 0, not unknown).
import type { ChannelSpec } from '../live/channels.ts'

const textColumns = new Set(['symbol', 'id', 'side', 'currency', 'product_id', 'category', 'order_id', 'customer_id', 'country', 'reasons'])

/**
 * Columns that add up the rows of a bucket: a closed bucket that has no row (no trades,
 * no orders) holds 0 of them. Prices and averages have no value in an empty bucket.
 */
const additiveColumns = new Set([
  'volume', 'trades', 'revenue', 'cost', 'units', 'orders', 'customers', 'gross_revenue', 'refunds',
  'views', 'add_to_cart', 'checkout', 'purchase', 'sessions', 'view_sessions', 'add_to_cart_sessions', 'checkout_sessions', 'purchase_sessions',
])

/** The columns a rule on this channel may compare: numbers, not the time column. */
export function numericColumns(spec: ChannelSpec): string[] {
  return spec.meta.columns.filter((c, i) => i !== spec.meta.time && !textColumns.has(c))
}

export const isAdditive = (column: string) => additiveColumns.has(column)

/**
 * The key columns that tell a channel's series apart (besides time): sales has one series
 * per currency, the ticker one per symbol. The trade tape is one series of trades.
 */
export function entityColumns(spec: ChannelSpec): number[] {
  if (spec.mode === 'tape') return []
  return spec.meta.key.filter((i) => i !== spec.meta.time)
}
