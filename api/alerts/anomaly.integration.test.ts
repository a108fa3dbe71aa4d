// Anomaly bands computed in ClickHouse (chDB) from the same hour on previous days, and an
// anomaly rule firing on a volume spike ingested through the live path.
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { createLogger } from '../log.ts'
import { createBands } from './anomaly.ts'
import type { Rule } from './schema.ts'
import { openSse, type SseClient } from '../../test/support/sse-client.ts'

let stream: SseClient | undefined
const hour = 3_600_000
const day = 24 * hour
// Yesterday's current and next hour: whichever hour it is while the test runs has a history.
const yesterday = Math.floor(Date.now() / hour) * hour - day

const file = gatewayForFile({ LIVE_TICK_MS: '100' }, async (gw) => {
  // ANOM: 900 trades per hour yesterday, one every 4 s, qty 1..5 (volume per 1 s bucket: mostly 0).
  const trades = Array.from({ length: 1800 }, (_, i) => ({ id: `h${i}`, ts: yesterday + i * 4000, symbol: 'ANOM', price: 100, qty: 1 + (i % 5), side: 'buy' }))
  // shop-anom: each minute of those hours one completed order of 10 × (1 + minute % 3) USD;
  // the 30 USD ones get 10 USD back later in their minute (net revenue 10, 20, 20).
  const line = (m: number, unit_price: number, status: string, s: number) => ({
    order_id: `o${m}`, ts: yesterday + m * 60_000 + s * 1000, shop_id: 'shop-anom', customer_id: `c${m}`, product_id: 'p1', category: 'c', quantity: 1,
    unit_price, currency: 'USD', status,
  })
  const orders = Array.from({ length: 120 }, (_, m) => [line(m, 10 * (1 + (m % 3)), 'completed', 5), ...(m % 3 === 2 ? [line(m, 10, 'refunded', 30)] : [])]).flat()
  expect((await ingest(gw, 'trades', trades)).status).toBe(200)
  expect((await ingest(gw, 'orders', orders)).status).toBe(200)
  await eventually(async () => expect(await rows(gw.clickhouse('ops'), "SELECT count() AS n FROM candles_1s WHERE symbol = 'ANOM'")).toEqual([{ n: expect.anything() }]))
  await eventually(async () => {
    const [r] = await rows<{ n: string }>(gw.clickhouse('ops'), "SELECT toString(sum(trades)) AS n FROM candles_1s WHERE symbol = 'ANOM'")
    expect(Number(r.n)).toBe(1800)
  })
})
afterAll(() => stream?.close())

const rule = (channel: string, params: Record<string, unknown>, column: string): Rule => ({
  id: crypto.randomUUID(), owner: 'anom', name: 'anomaly', channel, params, condition: { column, op: 'anomaly', value: 3 }, for_s: 0, cooldown_s: 0, notify: [],
  access: { roles: ['trader', 'seller'], symbols: '*', shops: '*', expiresAt: Date.now() + hour }, muted: false, snoozedUntil: 0, ackedAt: 0, version: 1, createdAt: 0, updatedAt: 0,
})

// Waits are for a loaded machine: far above a quiet run's, and above vitest's 60 s default per test.
describe('anomaly bands', { timeout: 300_000 }, () => {
  it('are the same hour of previous days, per bucket, with empty buckets of sums counted as zeros', async () => {
    const bands = createBands({ ch: file.gw.clickhouse('ops', 2), log: createLogger('silent'), refreshMs: 60_000 })
    try {
      const volume = rule('candles', { symbol: 'ANOM', interval: '1s' }, 'volume')
      const close = rule('candles', { symbol: 'ANOM', interval: '1s' }, 'close')
      const revenue = rule('sales', { shop: 'shop-anom', interval: '1m' }, 'revenue')
      const refunds = rule('sales', { shop: 'shop-anom', interval: '1m' }, 'refunds')
      const orderCount = rule('sales', { shop: 'shop-anom', interval: '1m' }, 'orders')
      const [v, c, rev, ref, ord] = [volume, close, revenue, refunds, orderCount].map((r) => bands.watch(r))
      await eventually(async () => {
        await bands.refresh()
        expect(v.get('[]')).toBeDefined()
        expect(c.get('[]')).toBeDefined()
        // Every refund landed: 10 USD back in every third minute of the hour.
        expect(ref.get('["USD"]')?.mean).toBeCloseTo(10 / 3, 9)
      })
      // 900 trades of qty 1..5 (mean 3) over 3,600 one-second buckets: mean volume 0.75 per second.
      const vb = v.get('[]')!
      expect([vb.n, vb.mean]).toEqual([3600, 0.75])
      expect(vb.sd).toBeCloseTo(Math.sqrt((180 * (1 + 4 + 9 + 16 + 25)) / 3600 - 0.75 ** 2), 9)
      // A price is no sum: only buckets with trades count.
      expect(c.get('[]')).toMatchObject({ n: 900, mean: 100, sd: 0 })
      // Revenue is net, as the live sales channel shows it: 10, 20, 20 USD a minute, mean 50/3, sd √(200/9).
      const b = rev.get('["USD"]')!
      expect(b.n).toBe(60)
      expect(b.mean).toBeCloseTo(50 / 3, 9)
      expect(b.sd).toBeCloseTo(Math.sqrt(200 / 9), 6)
      // A refund is no order: one order a minute.
      expect(ord.get('["USD"]')).toMatchObject({ n: 60, mean: 1, sd: 0 })
    } finally {
      bands.stop()
    }
  })

  it('an anomaly rule fires on a volume spike far outside the band', async () => {
    const token = await auth.sign({ sub: 'anom-trader', roles: ['trader'], symbols: ['ANOM'], shops: [] }, '1h')
    const r = await fetch(`${file.gw.url}/api/v1/alerts/rules`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ANOM volume spike', channel: 'candles', params: { symbol: 'ANOM', interval: '1s' }, condition: { column: 'volume', op: 'anomaly', value: 6, direction: 'above' } }),
    })
    expect(r.status, await r.clone().text()).toBe(201)
    stream = await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token })
    // A spike every 1.5 s until one fires: the band is read in the background, and a spike in a bucket closed before it arrived goes unjudged.
    let spikes = 0
    await eventually(async () => {
      if (!stream!.alerts().length) await ingest(file.gw, 'trades', [{ id: `spike-${++spikes}`, ts: Date.now(), symbol: 'ANOM', price: 100, qty: 500, side: 'buy' }])
      expect(stream!.alerts().length).toBeGreaterThan(0)
    }, { timeoutMs: 120_000, intervalMs: 1500 })
    expect(stream.alerts()[0]).toMatchObject({ rule_name: 'ANOM volume spike', value: 500 })
  })
})
