/**
 * Test helper: the event schema rules of docs/events.md, written out independently of the generator.
 * Each returns the rules an event breaks, so a test asserts `[]` once per batch (one `expect`
 * per field per event would make 50k-event checks take seconds).
 */
const symbolRe = /^[A-Z0-9.\-_/]{1,32}$/
const currencyRe = /^[A-Z]{3}$/
const countryRe = /^[A-Z]{2}$/
const sides = ['buy', 'sell']
const statuses = ['completed', 'pending', 'cancelled', 'refunded']
const webTypes = ['view', 'add_to_cart', 'checkout', 'purchase']

type Obj = Record<string, unknown>
type Check = [ok: boolean, rule: string]

/** True when `x` has at most `decimals` digits after the point. */
export function hasAtMostDecimals(x: number, decimals: number): boolean {
  const scaled = x * 10 ** decimals
  return Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled))
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isText = (v: unknown) => typeof v === 'string' && v.length > 0
const optional = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || ok(v)

function problems(e: Obj, checks: Check[]): string[] {
  return checks.filter(([ok]) => !ok).map(([, rule]) => `${rule}: ${JSON.stringify(e)}`)
}

const tsCheck = (e: Obj): Check => [Number.isInteger(e.ts) && (e.ts as number) > Date.UTC(2000, 0, 1), 'ts is epoch ms']

export function tradeProblems(e: Obj): string[] {
  return problems(e, [
    tsCheck(e),
    [optional(e.id, isText), 'id is a non-empty string when present'],
    [typeof e.symbol === 'string' && symbolRe.test(e.symbol), 'symbol matches ^[A-Z0-9.\\-_/]{1,32}$'],
    [isNum(e.price) && e.price > 0 && hasAtMostDecimals(e.price, 8), 'price > 0 with ≤ 8 decimals'],
    [isNum(e.qty) && e.qty > 0 && hasAtMostDecimals(e.qty, 8), 'qty > 0 with ≤ 8 decimals'],
    [sides.includes(e.side as string), 'side ∈ {buy, sell}'],
    [optional(e.venue, isText), 'venue is a non-empty string when present'],
  ])
}

export function orderProblems(e: Obj): string[] {
  const cents = (v: unknown) => isNum(v) && v >= 0 && hasAtMostDecimals(v, 2)
  return problems(e, [
    tsCheck(e),
    ...['order_id', 'shop_id', 'customer_id', 'product_id', 'category'].map((k): Check => [isText(e[k]), `${k} is a non-empty string`]),
    [Number.isInteger(e.quantity) && (e.quantity as number) > 0, 'quantity is an integer > 0'],
    [cents(e.unit_price), 'unit_price ≥ 0 in cents'],
    [optional(e.unit_cost, (v) => cents(v) && (v as number) < (e.unit_price as number)), 'unit_cost ≥ 0 in cents, below unit_price'],
    [typeof e.currency === 'string' && currencyRe.test(e.currency), 'currency is 3 uppercase letters'],
    [statuses.includes(e.status as string), 'status ∈ {completed, pending, cancelled, refunded}'],
    [optional(e.country, (v) => typeof v === 'string' && countryRe.test(v)), 'country is 2 uppercase letters'],
  ])
}

export function webEventProblems(e: Obj): string[] {
  return problems(e, [
    tsCheck(e),
    [isText(e.session_id), 'session_id is a non-empty string'],
    [isText(e.shop_id), 'shop_id is a non-empty string'],
    [webTypes.includes(e.type as string), 'type ∈ {view, add_to_cart, checkout, purchase}'],
    [optional(e.customer_id, isText), 'customer_id is a non-empty string when present'],
    [optional(e.product_id, isText), 'product_id is a non-empty string when present'],
  ])
}

/** The keys each stream's schema allows; anything else would be an invented field. */
export const allowedKeys = {
  trades: ['id', 'ts', 'symbol', 'price', 'qty', 'side', 'venue'],
  orders: ['order_id', 'ts', 'shop_id', 'customer_id', 'product_id', 'category', 'quantity', 'unit_price', 'unit_cost', 'currency', 'status', 'country'],
  web_events: ['ts', 'session_id', 'shop_id', 'type', 'customer_id', 'product_id'],
}

export function unknownKeys(stream: keyof typeof allowedKeys, events: readonly object[]): string[] {
  const allowed = new Set(allowedKeys[stream])
  const extra = new Set<string>()
  for (const e of events) for (const k of Object.keys(e)) if (!allowed.has(k)) extra.add(k)
  return [...extra]
}
