// What a rule on each live channel can compare (the numeric columns of docs/protocol.md's
// channels) and the operators the API takes.
export const numericColumns: Record<string, string[]> = {
  candles: ['close', 'open', 'high', 'low', 'volume', 'trades', 'vwap'],
  trades: ['price', 'qty'],
  ticker: ['last', 'change_pct', 'change', 'open_24h', 'volume_24h', 'trades_24h'],
  sales: ['revenue', 'orders', 'aov', 'customers', 'units', 'cost', 'gross_revenue', 'refunds'],
  top_products: ['revenue', 'units', 'orders', 'gross_revenue', 'refunds'],
  funnel: ['views', 'add_to_cart', 'checkout', 'purchase', 'sessions', 'view_sessions', 'add_to_cart_sessions', 'checkout_sessions', 'purchase_sessions'],
  risk: ['score', 'amount'],
}

export const ops: { op: string; label: string }[] = [
  { op: '>', label: 'is above' },
  { op: '<', label: 'is below' },
  { op: 'crosses_above', label: 'crosses above' },
  { op: 'crosses_below', label: 'crosses below' },
  { op: 'change_pct_above', label: 'rises by more than (%)' },
  { op: 'change_pct_below', label: 'changes by less than (%)' },
  { op: 'anomaly', label: 'leaves its usual band (z-score)' },
]

/** "candles BTC-USD 1s": a rule's channel and params for people. */
export const describeChannel = (channel: string, params: Record<string, unknown>) =>
  [channel, ...Object.values(params).map((v) => (Array.isArray(v) ? v.join(',') : String(v)))].join(' ')
