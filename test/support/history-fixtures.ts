/**
 * Deterministic events around a base time for the historical API's tests and
 * benchmark: trades for a few symbols, order lines in two shops and currencies
 * (some months back, for cohorts), storefront events. They go through ingestion.
 */
export interface Fixtures {
  trades: Record<string, unknown>[]
  orders: Record<string, unknown>[]
  webEvents: Record<string, unknown>[]
}

export const fixtureSymbols = ['BTC-USD', 'ETH-USD', 'SOL-USD']
export const fixtureShops = ['shop-a', 'shop-b']

export function makeFixtures(baseMs: number, { trades = 600, orders = 300, webEvents = 600, spanMs = 2 * 3600_000 } = {}): Fixtures {
  let seed = 42
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]
  const at = () => baseMs + Math.floor(rand() * spanMs)
  const out: Fixtures = { trades: [], orders: [], webEvents: [] }
  for (let i = 0; i < trades; i++) {
    const symbol = pick(fixtureSymbols)
    const base = symbol === 'BTC-USD' ? 60000 : symbol === 'ETH-USD' ? 3000 : 150
    out.trades.push({
      id: `t${i}`, ts: at(), symbol, price: Number((base * (0.9 + rand() * 0.2)).toFixed(2)),
      qty: Number((0.001 + rand() * 3).toFixed(6)), side: rand() < 0.5 ? 'buy' : 'sell', venue: pick(['x', 'y']),
    })
  }
  const statuses = ['completed', 'completed', 'completed', 'pending', 'cancelled', 'refunded']
  for (let i = 0; i < orders; i++) {
    const monthsBack = i % 10 === 0 ? 40 : i % 10 === 1 ? 70 : 0
    const ts = monthsBack ? baseMs - monthsBack * 86400_000 : at()
    const lines = 1 + (i % 3)
    for (let l = 0; l < lines; l++) {
      out.orders.push({
        order_id: `o${i}`, ts: ts + l, shop_id: pick(fixtureShops), customer_id: `c${Math.floor(rand() * 40)}`,
        // One category per product, as in a real catalog.
        ...((n) => ({ product_id: `p${n}`, category: ['shoes', 'hats', 'bags'][n % 3] }))(Math.floor(rand() * 12)), quantity: 1 + Math.floor(rand() * 4),
        unit_price: Number((5 + rand() * 95).toFixed(2)), ...(rand() < 0.8 ? { unit_cost: Number((2 + rand() * 40).toFixed(2)) } : {}),
        currency: i % 7 === 0 ? 'EUR' : 'USD', status: pick(statuses), country: 'DE',
      })
    }
  }
  const steps = ['view', 'add_to_cart', 'checkout', 'purchase']
  for (let i = 0; i < webEvents; i++) {
    const depth = Math.floor(rand() * 4)
    const session = `s${Math.floor(i / 3)}`
    out.webEvents.push({
      ts: at(), session_id: session, shop_id: pick(fixtureShops), type: steps[Math.min(depth, i % 4)],
      ...(rand() < 0.9 ? { product_id: `p${Math.floor(rand() * 12)}` } : {}), customer_id: `c${Math.floor(rand() * 40)}`,
    })
  }
  return out
}
