// The live `risk` channel against the real gateway: flagged order lines arrive as they are
// ingested, with the scores the order_risk catalog query gives the same lines.
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'

const clients: LiveClient[] = []
const file = gatewayForFile({ LIVE_TICK_MS: '100', LIVE_LATENESS_MS: '30000' })
// Registered after the gateway's hooks, so the clients close before it stops.
afterAll(() => clients.forEach((c) => c.close()))
const connect = async (token: string) => {
  const c = await LiveClient.connect(file.gw.url, { token })
  clients.push(c)
  return c
}

const day = 86_400_000
const shop = 'risk-live'
let n = 0
const line = (customer: string, ts: number, price: number, extra: Record<string, unknown> = {}) =>
  ({ order_id: `rl${++n}`, ts, shop_id: shop, customer_id: customer, product_id: 'p1', category: 'x', quantity: 1, unit_price: price, status: 'completed', country: 'US', ...extra })

describe('risk channel', { timeout: 300_000 }, () => {
  it('streams the lines scoring 80 or more as they come, scored as order_risk scores them', async () => {
    const now = Date.now()
    // History: a few customers with orders over the past weeks.
    const history = ['a', 'b', 'c', 'tester'].flatMap((c) => [20, 13, 6].map((d) => line(c, now - d * day, 20 + d)))
    expect((await ingest(file.gw, 'orders', history)).status).toBe(200)
    const seller = await connect(await tokenFor(['seller'], { shops: [shop] }))
    seller.subscribe(1, 'risk', { shop })
    await eventually(() => expect(seller.subs.has(1)).toBe(true))
    expect(seller.rows(1)).toEqual([])
    // Five orders in four minutes by one customer (card testing), and an ordinary order by another.
    const burst = [0, 1, 2, 3, 4].map((i) => line('tester', now - 4 * 60_000 + i * 60_000, 3))
    await ingest(file.gw, 'orders', [...burst, line('a', now - 30_000, 25)])
    await eventually(() => expect(seller.rows(1).map((r) => r[1])).toEqual([burst[3].order_id, burst[4].order_id]), { timeoutMs: 60_000 })
    const admin = await tokenFor(['admin'])
    const q = new URLSearchParams({ shop, from: new Date(now - day).toISOString(), to: new Date(now + 60_000).toISOString() })
    const catalog = (await (await fetch(`${file.gw.url}/api/v1/q/order_risk?${q}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { rows: { order_id: string; score: string; reasons: string[] }[] }
    const live = seller.rows(1)
    expect(live.map((r) => [r[1], r[4], r[8]])).toEqual(
      [...catalog.rows].reverse().map((r) => [r.order_id, Number(r.score), r.reasons.join('; ')]))
    expect(live.every((r) => Number(r[4]) >= 80 && String(r[8]).includes('orders in 10 min'))).toBe(true)
  }, 300_000)

  it('is refused outside the seller\'s shops and with a bad threshold', async () => {
    const other = await connect(await tokenFor(['seller'], { shops: ['shop-x'] }))
    other.subscribe(1, 'risk', { shop })
    other.subscribe(2, 'risk', { shop: 'shop-x', min_score: 101 })
    other.subscribe(3, 'risk', { shop: 'shop-x', min_score: 50 })
    await eventually(() => {
      expect(other.errors().map((e) => [e.sid, e.reason]).sort()).toEqual([[1, 'NOT_ENTITLED'], [2, 'BAD_ARGUMENT']])
      expect(other.subs.has(3)).toBe(true)
    })
  })
})
