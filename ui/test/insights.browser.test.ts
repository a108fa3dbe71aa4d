// The seller's insight panels in real headless Chromium against the real gateway (embedded
// engine), on nine days of one demo shop ingested over HTTP (ingest/demo/history.ts).
import { readFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { shopHistory } from '../../ingest/demo/history.ts'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { launch, openPage, patient, screenshot, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

let gw: TestGateway
let browser: Browser
let seller: string
const opened: OpenPage[] = []
const hour = 3_600_000

async function post(stream: string, lines: object[]) {
  for (let i = 0; i < lines.length; i += 5000) {
    const r = await ingest(gw, stream, lines.slice(i, i + 5000))
    expect(r.status, await r.clone().text()).toBe(200)
  }
}

beforeAll(async () => {
  browser = await launch()
  gw = await startGateway({ DEMO_RATE: '0', LIVE_TICK_MS: '250' })
  seller = await tokenFor(['seller'], { shops: ['shop-1'] })
  const to = Math.floor(Date.now() / hour) * hour
  const lines = [...shopHistory({ seed: 11, fromMs: to - 9 * 24 * hour, toMs: to, ordersPerHour: 25 })].flatMap((b) => b.orders)
  await post('orders', lines)
  // The snapshots live in the `insights` database, which the SQL port shows operators only.
  const operator = await tokenFor(['admin'])
  const sql = async (query: string) => {
    const r = await fetch(`${gw.url}/api/v1/sql?query=${encodeURIComponent(`${query} FORMAT TSV`)}`, { headers: { authorization: `Bearer ${operator}` } })
    const text = (await r.text()).trim()
    expect(r.status, text).toBe(200)
    return text
  }
  await eventually(async () => expect(Number(await sql("SELECT count() FROM orders WHERE shop_id = 'shop-1'"))).toBe(lines.length), patient)
  // The panels' default answers come from the snapshots ClickHouse refreshes every minute (clickhouse/views/023): wait for one taken after the load.
  const loaded = await sql("SELECT toUnixTimestamp64Milli(max(received_at)) FROM orders WHERE shop_id = 'shop-1'")
  await eventually(async () => {
    for (const t of ['rfm', 'rfm_summary', 'forecasts', 'bought_together']) {
      expect(Number(await sql(`SELECT count() FROM insights.${t} WHERE shop_id = 'shop-1' AND toUnixTimestamp64Milli(computed_at) > ${loaded}`)), t).toBeGreaterThan(0)
    }
  }, { timeoutMs: 150_000, intervalMs: 1000 })
}, 600_000)

closeAfterFile(() => ({ opened, browser, gateways: [gw] }))

async function open(theme: 'light' | 'dark' = 'light') {
  const p = await openPage(browser, gw.url, { token: seller, theme })
  opened.push(p)
  await p.page.goto('/#/seller')
  await p.page.getByTestId('seller-view').waitFor()
  return p
}

// Waits have deadlines far above a quiet run's (the default 60 s test timeout is not): the machine may be loaded.
describe('seller insights in headless Chromium', { timeout: 600_000 }, () => {
  it('segments: a click lists the segment\'s customers; CSV of the rows shown and of the whole segment', async () => {
    const { page, errors } = await open()
    const panel = page.getByTestId('segments-panel')
    await eventually(async () => {
      expect(await panel.locator('.segments li').count()).toBeGreaterThan(3)
      const names = await panel.locator('.segments li button.label').allTextContents()
      expect(names.length).toBeGreaterThan(3) // the labels read are the list counted
      expect(names.every((n) => ['Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose Them", 'Hibernating', 'Lost'].includes(n))).toBe(true)
    }, patient)
    await panel.getByRole('button', { name: 'Lost', exact: true }).click()
    const list = page.getByTestId('segment-customers')
    await eventually(async () => expect(await list.locator('tbody tr td button.link').count()).toBeGreaterThan(0), patient)
    const [download, shown] = await Promise.all([
      page.waitForEvent('download'),
      list.evaluate((el) => {
        const ids = [...el.querySelectorAll('tbody tr')].map((tr) => tr.querySelector('td')!.textContent)
        ;[...el.querySelectorAll('button')].find((b) => b.textContent === 'Export CSV')!.click()
        return ids
      }),
    ])
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n')
    expect(csv[0]).toBe('Customer,Days since last order,Orders,Net revenue,R,F,M,Currency')
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(shown)
    const [all] = await Promise.all([page.waitForEvent('download'), list.getByRole('button', { name: 'Download all (CSV)' }).click()])
    const whole = readFileSync((await all.path())!, 'utf8').trim().split('\r\n')
    expect(whole[0].split(',').slice(0, 3)).toEqual(['currency', 'customer_id', 'segment'])
    expect(whole.length - 1).toBeGreaterThanOrEqual(shown.length)
    expect(whole.slice(1).every((l) => l.split(',')[2] === 'lost')).toBe(true)
    // A customer from the list opens the customer detail.
    const customer = shown[0]!
    await list.getByRole('button', { name: customer, exact: true }).click()
    const detail = page.getByTestId('customer-detail')
    await eventually(async () => expect(await detail.getByTestId('customer-segment').textContent()).toMatch(/^Lost R1 F\d M\d$/), patient)
    await expect.poll(() => detail.locator('h2').textContent(), { timeout: patient.timeoutMs }).toBe(`Customer ${customer}`)
    await expect.poll(() => detail.getByTestId('ltv').textContent(), { timeout: patient.timeoutMs }).toMatch(/\d/)
    await expect.poll(() => detail.locator('[data-testid="last-orders"] tbody tr').count(), { timeout: patient.timeoutMs }).toBeGreaterThan(0)
    await screenshot(page, 'insights-segments-light')
    expect(errors).toEqual([])
  })

  it('flagged orders: a burst of orders ingested now appears with its scores and opens the customer', async () => {
    const { page, errors } = await open('dark')
    const panel = page.getByTestId('risk-panel')
    await panel.locator('[data-testid="freshness"]').waitFor({ timeout: patient.timeoutMs })
    const now = Date.now()
    const burst = [0, 1, 2, 3, 4].map((i) => ({
      order_id: `burst-${now}-${i}`, ts: now - 150_000 + i * 30_000, shop_id: 'shop-1', customer_id: 'card-tester', product_id: 'sku-1-001',
      category: 'x', quantity: 1, unit_price: 1.99, currency: 'USD', status: 'completed', country: 'US',
    }))
    await post('orders', burst)
    // The 4th and 5th orders in ten minutes score 80 or more (velocity) and arrive through the live channel.
    await eventually(async () => {
      const flagged = await panel.locator(`tbody tr[data-order^="burst-${now}-"]`).evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-order'), Number(tr.getAttribute('data-score'))]))
      expect(flagged.map(([o]) => o).sort()).toEqual([burst[3].order_id, burst[4].order_id])
      expect(flagged.every(([, s]) => (s as number) >= 80)).toBe(true)
    }, patient)
    await expect.poll(() => panel.locator(`tr[data-order="${burst[4].order_id}"] td.reasons`).textContent(), { timeout: patient.timeoutMs }).toMatch(/orders in 10 min/)
    await panel.locator(`tr[data-order="${burst[4].order_id}"]`).getByRole('button', { name: 'card-tester' }).click()
    const detail = page.getByTestId('customer-detail')
    await eventually(async () => expect(await detail.getByTestId('customer-risk').textContent()).toMatch(/highest score (8\d|9\d|100) · 2 flagged line/), patient)
    await screenshot(page, 'insights-risk-dark')
    expect(errors).toEqual([])
  })

  it('forecast: the next 24 h with a band, and the band ahead of the live revenue line', async () => {
    const { page, errors } = await open()
    const forecast = page.getByTestId('forecast-panel')
    await eventually(async () => expect(await forecast.getByTestId('forecast-total').textContent()).toMatch(/Next 24 h: \$[\d,.]+/), patient)
    // The chart is another element than the total waited for.
    await expect.poll(() => forecast.locator('canvas').count(), { timeout: patient.timeoutMs }).toBeGreaterThan(0)
    // The live chart's x axis reaches past now: the band of the current and next two hours is drawn after the live line.
    await eventually(async () => {
      const end = Number(await page.locator('[data-testid="sales-panel"] .uplot').getAttribute('data-forecast-band-end'))
      expect(end).toBeGreaterThan(Date.now() + hour)
    }, patient)
    await screenshot(page, 'insights-forecast-light')
    expect(errors).toEqual([])
  })

  it('product detail: top products → click → trend with the demand band, funnel and bought-together', async () => {
    const { page, errors } = await open()
    const top = page.getByTestId('top-products')
    await eventually(async () => expect(await top.locator('tbody tr td button.link').count()).toBeGreaterThan(2), patient)
    const product = (await top.locator('tbody tr td button.link').first().textContent())!
    await top.getByRole('button', { name: product, exact: true }).click()
    const detail = page.getByTestId('product-detail')
    await expect.poll(() => detail.locator('h2').textContent(), { timeout: patient.timeoutMs }).toBe(`Product ${product}`)
    await eventually(async () => expect(await detail.locator('[data-testid="bought-together"] tbody tr td button.link').count()).toBeGreaterThan(0), patient)
    await eventually(async () => expect(await detail.locator('canvas').count()).toBeGreaterThan(0), patient)
    await expect.poll(() => detail.getByTestId('product-funnel').textContent(), { timeout: patient.timeoutMs }).toMatch(/Funnel/)
    // A product in the bought-together list opens its own detail.
    const next = (await detail.locator('[data-testid="bought-together"] tbody tr td button.link').first().textContent())!
    await detail.locator('[data-testid="bought-together"]').getByRole('button', { name: next, exact: true }).click()
    await eventually(async () => expect(await page.getByTestId('product-detail').locator('h2').textContent()).toBe(`Product ${next}`), patient)
    await page.setViewportSize({ width: 390, height: 844 })
    await screenshot(page, 'insights-product-phone')
    expect(errors).toEqual([])
  })
})
