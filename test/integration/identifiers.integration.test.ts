// One identifier rule (issue 17, item 4): whatever ingestion accepts as a shop or a symbol can be
// queried through the catalog and watched live, with the identifiers that used to fall between rules.
import { describe, expect, it } from 'vitest'
import { S } from '../../api/protocol/index.ts'
import { liveGatewayForFile } from '../support/live-file.ts'
import { eventually } from '../support/eventually.ts'
import { ingest, tokenFor } from '../support/gateway.ts'

const live = liveGatewayForFile({ LIVE_TICK_MS: '100' })

const shops = ['ACME Store', 'acme@eu', 'Café Zürich', 'shop/with/slash', '🛒 cart', 's'.repeat(128)]
const symbols = ['BRK.B', 'EUR/USD', 'BTC-USD_PERP', 'X'.repeat(32)]

async function catalog(name: string, params: Record<string, string>, role: 'seller' | 'trader') {
  const res = await fetch(`${live.gw.url}/api/v1/q/${name}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${await tokenFor([role])}` } })
  return { status: res.status, body: (await res.json()) as { rows?: Record<string, unknown>[]; error?: { code: string } } }
}

async function watch(role: 'seller' | 'trader', channel: string, params: Record<string, unknown>) {
  const c = await live.connect({ token: await tokenFor([role]) })
  c.subscribe(1, channel, params)
  await eventually(() => expect(c.rows(1).length + c.errors().length).toBeGreaterThan(0), { timeoutMs: 30_000 })
  return c
}

describe('identifiers ingestion accepts', () => {
  it('shops: stored, answered by the catalog, and watched live', async () => {
    const now = Date.now()
    const orders = shops.map((shop, i) => ({ order_id: `id-o${i}`, ts: now, shop_id: shop, customer_id: `c${i}`, product_id: 'p', category: 'k', quantity: 2, unit_price: 5, status: 'completed' }))
    expect(await (await ingest(live.gw, 'orders', orders)).json()).toEqual({ accepted: shops.length, rejected: 0, errors: [] })
    for (const shop of shops) {
      const { status, body } = await catalog('sales_overview', { shop, from: '-1h', to: 'now' }, 'seller')
      expect([shop, status, body.rows?.[0]?.revenue]).toEqual([shop, 200, expect.stringMatching(/^10(\.0+)?$/)])
      const live = await watch('seller', 'sales', { shop, interval: '1m' })
      expect([shop, live.errors()]).toEqual([shop, []])
      expect(live.rows(1).length).toBeGreaterThan(0)
    }
  }, 120_000)

  it('symbols: stored, answered by the catalog, and watched live', async () => {
    const trades = symbols.map((symbol, i) => ({ id: `id-t${i}`, ts: Date.now(), symbol, price: 3, qty: 1, side: 'buy' }))
    expect(await (await ingest(live.gw, 'trades', trades)).json()).toEqual({ accepted: symbols.length, rejected: 0, errors: [] })
    for (const symbol of symbols) {
      const { status, body } = await catalog('symbol_stats', { symbol, window: '1h' }, 'trader')
      expect([symbol, status, body.rows?.[0]?.trades]).toEqual([symbol, 200, expect.anything()])
      const live = await watch('trader', 'candles', { symbol, interval: '1m' })
      expect([symbol, live.errors(), live.frames.some((f) => f.type === S.SNAPSHOT)]).toEqual([symbol, [], true])
    }
  }, 120_000)

  it('and what ingestion refuses, the catalog refuses too (never a query for an identifier that cannot exist)', async () => {
    for (const shop of [' ACME', 'ACME ', 'a\u0000b', 's'.repeat(129)]) {
      const order = { order_id: 'bad', ts: Date.now(), shop_id: shop, customer_id: 'c', product_id: 'p', category: 'k', quantity: 1, unit_price: 1, status: 'completed' }
      expect(((await (await ingest(live.gw, 'orders', [order])).json()) as { rejected: number }).rejected).toBe(1)
      expect((await catalog('sales_overview', { shop }, 'seller')).status).toBe(400)
    }
  })
})
