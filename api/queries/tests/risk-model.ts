// The order-risk model of clickhouse/views/021_create_insight_order_risk.sql written out again
// in plain TypeScript from its documented rules, for small fixtures: the golden test checks the
// view's scores against it, so a slip in the SQL and a slip here would have to agree to pass.
export interface OrderRow {
  order_id: string
  ts: string
  shop_id: string
  customer_id: string
  product_id: string
  quantity: number
  unit_price: number
  status: string
  country?: string
}

export interface ModelScore {
  order_id: string
  product_id: string
  score: number
  amount_z: number
  quantity_z: number
  orders_10m: number
  new_country: boolean
}

const dayMs = 86_400_000
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v))
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const varPop = (xs: number[]) => mean(xs.map((x) => x * x)) - mean(xs) ** 2
const ms = (ts: string) => Date.parse(`${ts.replace(' ', 'T')}Z`)
const lnAmount = (r: OrderRow) => Math.log(Math.max(r.quantity * r.unit_price, 0.01))

export function scoreLines(rows: OrderRow[], shop: string, fromMs: number, toMs: number): ModelScore[] {
  const sales = rows.filter((r) => r.shop_id === shop && r.status !== 'refunded')
  const window30 = sales.filter((r) => ms(r.ts) >= toMs - 30 * dayMs && ms(r.ts) < toMs)
  const xs = window30.map(lnAmount)
  const mu = xs.length ? mean(xs) : 0
  const v = xs.length ? varPop(xs) : 1
  const byCustomer = group(window30, (r) => r.customer_id)
  const within = [...byCustomer.values()].filter((ls) => ls.length >= 3).map((ls) => varPop(ls.map(lnAmount)))
  const withinVar = within.length ? mean(within) : v / 2
  const customersOf = (country: string) => new Set(window30.filter((r) => (r.country ?? '') === country).map((r) => r.customer_id)).size
  const byProduct = group(window30.filter((r) => r.quantity > 0), (r) => r.product_id)
  const scored = sales.filter((r) => ms(r.ts) >= fromMs && ms(r.ts) < toMs)
  return scored.map((line) => {
    const t = ms(line.ts)
    const mine = sales.filter((r) => r.customer_id === line.customer_id && ms(r.ts) >= fromMs - 365 * dayMs && ms(r.ts) < toMs)
    const settled = mine.filter((r) => ms(r.ts) <= t - 3_600_000)
    const px = settled.map(lnAmount)
    const n = px.length
    const tau2 = Math.max(v - withinVar, 0.05)
    const w = Math.max(withinVar, 0.05)
    const precision = 1 / tau2 + n / w
    const muEff = (mu / tau2 + px.reduce((a, b) => a + b, 0) / w) / precision
    const wCustomer = ((n ? Math.max(n * varPop(px), 0) : 0) + 3 * w) / (n + 3)
    const amountZ = (lnAmount(line) - muEff) / Math.sqrt(wCustomer + 1 / precision)
    const pAmount = sigmoid(1.5 * (amountZ - 4))
    const ordersPrior = new Set(settled.map((r) => r.order_id)).size
    const firstT = Math.min(...settled.map((r) => ms(r.ts)))
    const orders10m = new Set(mine.filter((r) => ms(r.ts) >= t - 600_000 && ms(r.ts) <= t).map((r) => r.order_id)).size
    const expected = n ? (ordersPrior * 600_000) / Math.max(t - firstT, 7 * dayMs) : 0
    const pVelocity = sigmoid(2.5 * (orders10m - expected - 3.4))
    const country = line.country ?? ''
    const known = new Set(settled.map((r) => r.country ?? '').filter((c) => c !== ''))
    const rare = Math.max(customersOf(country) - 1, 0) < Math.max(0.002 * byCustomer.size, 1)
    const newCountry = country !== '' && ordersPrior >= 1 && !known.has(country)
    const pCountry = country === '' ? 0 : newCountry ? (rare ? 0.85 : 0.45) : rare ? 0.5 : 0
    const product = byProduct.get(line.product_id) ?? []
    const lq = product.map((r) => Math.log(r.quantity))
    const enough = product.length >= 20
    const quantityZ = (Math.log(Math.max(line.quantity, 1)) - (enough ? mean(lq) : 0.3)) / Math.max(enough ? Math.sqrt(varPop(lq)) : 0.5, 0.3)
    const pQuantity = sigmoid(1.5 * (quantityZ - 6))
    const score = Math.round(100 * (1 - (1 - pAmount) * (1 - pVelocity) * (1 - pCountry) * (1 - pQuantity)))
    return { order_id: line.order_id, product_id: line.product_id, score, amount_z: amountZ, quantity_z: quantityZ, orders_10m: orders10m, new_country: newCountry }
  })
}

function group<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item])
  return out
}
