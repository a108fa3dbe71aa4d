// The UI in real headless Chromium against the real gateway (embedded engine, demo data).
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { Scrape } from '../src/lib/prom.ts'
import { launch, openPage, screenshot, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

let gw: TestGateway
let browser: Browser
const opened: OpenPage[] = []
const tokens: Record<string, string> = {}
// On a loaded machine (npm run test:stress, a busy CI host) every step can take many times longer:
// waits are for events, with deadlines far above a quiet run's, and no step is timed.
const patient = { timeoutMs: 120_000, intervalMs: 200 }

const freePort = () => new Promise<number>((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number }
    s.close(() => res(port))
  })
})

beforeAll(async () => {
  browser = await launch()
  // A fixed port, so the page can reconnect to the restarted gateway.
  gw = await startGateway({ DEMO_RATE: '800', PORT: String(await freePort()), LIVE_TICK_MS: '250' })
  for (const role of ['trader', 'seller', 'analyst'] as const) tokens[role] = await tokenFor([role])
  tokens.all = await tokenFor(['trader', 'seller', 'analyst'])
  tokens.admin = await tokenFor(['admin'])
}, 600_000)

closeAfterFile(() => ({ opened, browser, gateways: [gw] }))

/** A page at `path`; with `clock`, the page's timers run on Playwright's clock (the test can stop time). */
async function open(o: Parameters<typeof openPage>[2] & { clock?: boolean }, path: string): Promise<OpenPage> {
  const p = await openPage(browser, gw.url, o)
  opened.push(p)
  if (o.clock) await p.context.clock.install()
  await p.page.goto(path)
  return p
}

const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Views' }).getByRole('link').allTextContents()

/** Open WebSocket connections, as the gateway counts them. */
const wsConnections = async () => new Scrape(await (await fetch(`${gw.url}/metrics`)).text()).sum('livehouse_ws_connections')

const liveChartPainted = (page: Page, panel: string) =>
  eventually(async () => {
    expect(await page.locator(`[data-testid="${panel}"] canvas`).count()).toBeGreaterThan(0)
    expect(await page.locator(`[data-testid="${panel}"] [data-testid="freshness"]`).first().textContent()).toMatch(/old$/)
  }, patient)

/** Epoch ms of the newest candle the chart's freshness badge shows. */
const candlesAt = async (page: Page) => Number(await page.locator('[data-testid="candles-panel"] [data-testid="freshness"]').getAttribute('data-at'))

/** Waits until every chart canvas on the page fits a viewport `width` px wide (the layout followed a resize). */
const chartsFit = (page: Page, width: number) =>
  eventually(async () => expect(await page.$$eval('canvas', (cs) => Math.max(0, ...cs.map((c) => c.getBoundingClientRect().right)))).toBeLessThanOrEqual(width), patient)

describe('ui in headless Chromium', { timeout: 600_000 }, () => {
  it('signs in with a pasted token and shows the views its roles allow', async () => {
    const { page, errors } = await open({}, '/')
    await page.getByLabel('Token').fill(tokens.all)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Views' }).waitFor()
    // allTextContents() does not wait: read the links until they are there.
    await expect.poll(() => navLinks(page), { timeout: patient.timeoutMs }).toEqual(['Markets', 'Sales', 'SQL', 'Dashboards'])
    await page.reload()
    await page.getByTestId('trader-view').waitFor()
    await eventually(async () => expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('open'), patient)
    const connected = await wsConnections()
    expect(connected).toBeGreaterThan(0)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Token').waitFor()
    // Signing out closes the live socket: the gateway sees one connection fewer.
    await eventually(async () => expect(await wsConnections()).toBe(connected! - 1), patient)
    await screenshot(page, 'signin')
    expect(errors).toEqual([])
  })

  it('trader view: live candles with freshness, ticker, tape and movers, in light, dark and phone width', async () => {
    const { page, errors } = await open({ token: tokens.trader }, '/#/trader')
    await page.getByTestId('trader-view').waitFor()
    await liveChartPainted(page, 'candles-panel')
    await eventually(async () => expect(await page.locator('[data-testid="tape-panel"] tbody tr').count()).toBeGreaterThan(3), patient)
    await eventually(async () => expect(await page.locator('.ticker-strip .tick').count()).toBeGreaterThan(1), patient)
    await eventually(async () => expect(await page.locator('[data-testid="movers-panel"] [data-testid="freshness"]').textContent()).toMatch(/old$/), patient)
    await eventually(async () => expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('open'), patient)
    await page.getByRole('button', { name: '1m', exact: true }).click()
    await liveChartPainted(page, 'candles-panel')
    await page.getByRole('button', { name: '1s', exact: true }).click()
    await liveChartPainted(page, 'candles-panel')
    const shownAt = await candlesAt(page)
    await eventually(async () => expect(await candlesAt(page)).toBeGreaterThan(shownAt), patient) // a few more candles for the picture
    await screenshot(page, 'trader-light')
    await page.getByRole('button', { name: /Switch to dark theme/ }).click()
    await liveChartPainted(page, 'candles-panel')
    await screenshot(page, 'trader-dark')
    await page.setViewportSize({ width: 390, height: 844 })
    await chartsFit(page, 390)
    await screenshot(page, 'trader-phone-dark')
    expect(errors).toEqual([])
  })

  it("a returning user's reload paints the first chart from the live query (the time is logged; speed is for bench/)", async () => {
    const { page, errors } = await open({ token: tokens.trader }, '/#/trader')
    await liveChartPainted(page, 'candles-panel')
    // Second navigation: assets cached as a returning user has them; the gateway already has the live query.
    const t0 = Date.now()
    await page.reload()
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-testid="candles-panel"] canvas') as HTMLCanvasElement | null
      return !!c && document.querySelector('[data-testid="candles-panel"] .u-legend') !== null && !document.querySelector('[data-testid="candles-panel"] .loading')
    }, undefined, { timeout: patient.timeoutMs, polling: 'raf' })
    const nav = await page.evaluate(() => performance.now())
    console.log(`first chart painted ${Date.now() - t0} ms after reload (page clock ${Math.round(nav)} ms)`)
    // The freshness badge is another element than the chart waited for.
    await expect.poll(() => candlesAt(page), { timeout: patient.timeoutMs }).toBeGreaterThan(0)
    expect(errors).toEqual([])
  })

  it('seller view: KPIs, live revenue chart, top products, funnel; CSV export downloads the rows shown', async () => {
    const { page, errors } = await open({ token: tokens.seller }, '/#/seller')
    await page.getByTestId('seller-view').waitFor()
    await eventually(async () => expect(await page.locator('.kpi .value').first().textContent()).toMatch(/\d/), patient)
    await liveChartPainted(page, 'sales-panel')
    await eventually(async () => expect(await page.locator('[data-testid="top-products"] tbody tr td.num').count()).toBeGreaterThan(2), patient)
    await page.getByLabel('Filter Top products').fill('p')
    // Read the rows and click in one task: a live update between the two would reorder the table.
    const [download, shown] = await Promise.all([
      page.waitForEvent('download', { timeout: patient.timeoutMs }),
      page.locator('[data-testid="top-products"]').evaluate((panel) => {
        const rows = [...panel.querySelectorAll('tbody tr')].map((tr) => tr.querySelector('td')!.textContent)
        ;[...panel.querySelectorAll('button')].find((b) => b.textContent === 'Export CSV')!.click()
        return rows
      }),
    ])
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n')
    expect(csv[0]).toBe('Product,Category,Currency,Net revenue,Net units,Orders,Gross,Refunds')
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(shown)
    await liveChartPainted(page, 'sales-panel')
    await screenshot(page, 'seller-light')
    await page.setViewportSize({ width: 390, height: 844 })
    await chartsFit(page, 390)
    await screenshot(page, 'seller-phone')
    expect(errors).toEqual([])
  })

  it('analyst view: a query shows typed results and a chart; a forbidden one shows the ClickHouse error', async () => {
    const { page, errors } = await open({ token: tokens.analyst, theme: 'dark' }, '/#/analyst')
    await page.getByTestId('analyst-view').waitFor()
    await page.getByLabel('SQL query').fill("SELECT toStartOfMinute(ts) AS minute, count() AS trades, sum(qty) AS volume FROM trades GROUP BY minute ORDER BY minute")
    await page.getByRole('button', { name: 'Run' }).click()
    await page.getByTestId('sql-results').waitFor()
    await eventually(async () => expect(await page.locator('[data-testid="sql-results"] tbody tr td.num').count()).toBeGreaterThan(0), patient)
    await expect.poll(async () => (await page.locator('[data-testid="sql-results"] th .type').allTextContents()).join(' '), { timeout: patient.timeoutMs }).toMatch(/DateTime.*UInt64/)
    await page.getByRole('button', { name: 'Chart' }).click()
    await page.locator('.analyst canvas').first().waitFor()
    await screenshot(page, 'analyst-dark')

    for (const forbidden of ["INSERT INTO trades (symbol, price, qty, side) VALUES ('X', 1, 1, 'buy')", 'DROP TABLE trades']) {
      await page.getByLabel('SQL query').fill(forbidden)
      await page.keyboard.press('Control+Enter')
      await eventually(async () => expect(await page.getByTestId('sql-error').textContent()).toMatch(/Code: 164\./), patient)
    }
    await screenshot(page, 'analyst-error-dark')
    await expect.poll(() => page.locator('.recent li').count(), { timeout: patient.timeoutMs }).toBeGreaterThanOrEqual(3)
    // The failed requests are answered with 403: the only console errors allowed here.
    expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([])
  })

  it('dashboards: a widget added to a dashboard is still there after reload', async () => {
    // The page's timers run on Playwright's clock, so the widgets' 10 s refresh fires when the test says.
    const { page, errors } = await open({ token: tokens.all, clock: true }, '/#/dashboards')
    await page.getByTestId('dashboards-view').waitFor()
    await page.getByRole('button', { name: 'Seller template' }).click()
    await eventually(async () => expect(await page.getByTestId('widget').count()).toBe(4), patient)

    // A chart is created once: a refresh of its query and a move of its widget keep the same uPlot.
    const trend = page.locator('[data-testid="widget"][data-query="sales_trend"]')
    await trend.locator('.uplot').waitFor({ timeout: patient.timeoutMs })
    await trend.locator('.uplot').evaluate((el) => ((el as unknown as { tagged: boolean }).tagged = true))
    const tagged = () => trend.locator('.uplot').evaluate((el) => (el as unknown as { tagged?: boolean }).tagged === true)
    const isTrend = (r: { url(): string }) => r.url().includes('/api/v1/q/sales_trend')
    const trendQueries: string[] = []
    let answered = 0
    page.on('request', (r) => void (isTrend(r) && trendQueries.push(r.url())))
    page.on('requestfinished', (r) => void (isTrend(r) && answered++))
    page.on('requestfailed', (r) => void (isTrend(r) && answered++))
    // Time stands still from here: however slow the machine, no refresh fires unless the clock is run.
    // (Paused a little ahead of the page's clock, which keeps running until then.)
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 5_000)
    await page.clock.runFor(10_000) // at least one 10 s refresh
    await eventually(() => {
      expect(trendQueries.length).toBeGreaterThan(0)
      expect(answered).toBe(trendQueries.length)
    }, patient)
    const queriesBefore = trendQueries.length
    const frame = () => page.clock.runFor(50) // animation frames, far from the next refresh
    const heightBefore = await trend.locator('canvas').evaluate((c) => c.getBoundingClientRect().height)
    await trend.getByRole('button', { name: 'Move down' }).click()
    await eventually(async () => expect(await page.locator('.status-text').textContent()).toBe('Saved'), patient)
    await trend.getByRole('button', { name: 'Taller' }).click()
    await eventually(async () => expect(await page.locator('.status-text').textContent()).toBe('Saved'), patient)
    await eventually(async () => (await frame(), expect(await trend.locator('canvas').evaluate((c) => c.getBoundingClientRect().height)).toBeGreaterThan(heightBefore)), patient)
    expect(await tagged()).toBe(true)
    expect(trendQueries.length).toBe(queriesBefore) // moving and resizing do not re-run the query
    await page.clock.resume()
    const form = page.getByRole('form', { name: 'Add a widget' })
    await form.getByLabel('Query').selectOption('top_movers')
    await form.getByLabel(/^As/).selectOption('table') // 'As' alone also matches the query list (its options, e.g. revenue_forecast)
    await form.getByLabel('Title').fill('Movers on my board')
    await form.getByRole('button', { name: 'Add widget' }).click()
    await eventually(async () => expect(await page.getByTestId('widget').count()).toBe(5), patient)
    await eventually(async () => expect(await page.locator('.status-text').textContent()).toBe('Saved'), patient)
    await page.getByRole('button', { name: 'Wider' }).first().click()
    await eventually(async () => expect(await page.locator('.status-text').textContent()).toBe('Saved'), patient)
    // Two clicks faster than a save: both moves are saved. A PUT reaches the gateway only
    // once the one before it has been answered, as on a slow link (the gateway's version
    // check is not atomic, so two PUTs arriving together could both pass it).
    let firstPut: Promise<unknown> | undefined
    await page.route('**/api/v1/dashboards/*', async (route) => {
      if (route.request().method() !== 'PUT') return route.continue()
      if (!firstPut) {
        const answer = route.fetch()
        firstPut = answer
        return route.fulfill({ response: await answer })
      }
      await firstPut
      await route.continue()
    })
    const movers = () => page.getByTestId('widget').filter({ has: page.getByRole('heading', { name: 'Movers on my board' }) })
    await movers().getByRole('button', { name: 'Move right' }).evaluate((b: HTMLElement) => (b.click(), b.click()))
    await eventually(async () => expect(await page.locator('.status-text').textContent()).toBe('Saved'), patient)
    await page.unroute('**/api/v1/dashboards/*')
    await page.reload()
    await eventually(async () => expect(await page.getByTestId('widget').count()).toBe(5), patient)
    await expect.poll(() => page.getByRole('heading', { name: 'Movers on my board' }).count(), { timeout: patient.timeoutMs }).toBe(1)
    await expect.poll(() => movers().evaluate((el: HTMLElement) => el.style.gridColumn), { timeout: patient.timeoutMs }).toBe('3 / span 6')
    await trend.locator('.uplot').waitFor({ timeout: patient.timeoutMs }) // its data is back for the picture
    await screenshot(page, 'dashboards-light')
    expect(errors).toEqual([])
  })

  it('operator view (admin only): ingest rates and rollup freshness from /metrics, in light and phone dark', async () => {
    const { page, errors } = await open({ token: tokens.admin }, '/#/operator')
    await page.getByTestId('operator-view').waitFor()
    await expect.poll(() => navLinks(page), { timeout: patient.timeoutMs }).toContain('Operator')
    // Rates need two polls (2 s apart); the demo generator runs at 800 events/s.
    await eventually(async () => expect(Number((await page.getByTestId('ingest-rate').textContent())!.replace(/[^\d.]/g, ''))).toBeGreaterThan(0), patient)
    await eventually(async () => {
      expect(await page.getByTestId('freshness-row').count()).toBeGreaterThan(0)
      expect(await page.getByTestId('freshness-row').first().locator('td').textContent()).toMatch(/\d/)
      expect(await page.getByTestId('worst-freshness').textContent()).toMatch(/\d/)
    }, patient)
    await expect.poll(() => page.locator('[data-testid="op-http"] tbody tr th.route').count(), { timeout: patient.timeoutMs }).toBeGreaterThan(0)
    // What storing costs: the demo's INSERTs write parts into trades and its rollups; CPU per event once 10 s of scrapes are in.
    await eventually(async () => {
      expect(await page.locator('[data-testid="op-cost"] [data-testid="parts-row"] th').allTextContents()).toContain('trades')
      expect(await page.getByTestId('op-cost').locator('dd').first().textContent()).toMatch(/\d/)
    }, patient)
    // Two more polls, so the sparklines have a line to draw.
    for (let i = 0; i < 2; i++) await page.waitForResponse((r) => new URL(r.url()).pathname === '/metrics', { timeout: patient.timeoutMs })
    await eventually(async () => expect(await page.locator('.operator .kpi canvas').count()).toBe(2), patient)
    await screenshot(page, 'operator')
    // Every panel's content fits its card (tables scroll inside it rather than spill out).
    const overflowing = () => page.$$eval('.operator .panel', (ps) => ps.filter((p) => p.scrollWidth > p.clientWidth + 1).map((p) => p.getAttribute('aria-label')))
    expect(await overflowing()).toEqual([])
    await page.setViewportSize({ width: 900, height: 800 }) // the narrowest three-column layout
    await eventually(async () => expect(await overflowing()).toEqual([]), patient)
    await page.getByRole('button', { name: /Switch to dark theme/ }).click()
    await page.setViewportSize({ width: 390, height: 844 })
    // One more poll redraws the page in the new theme and width.
    await page.waitForResponse((r) => new URL(r.url()).pathname === '/metrics', { timeout: patient.timeoutMs })
    await chartsFit(page, 390)
    await screenshot(page, 'operator-phone-dark')
    expect(await overflowing()).toEqual([])
    expect(await page.getByTestId('operator-error').count()).toBe(0)
    expect(errors).toEqual([])
    // Other roles neither see nor reach it.
    const trader = await open({ token: tokens.all }, '/#/operator')
    await trader.page.getByTestId('trader-view').waitFor()
    // Links there (so the check below reads a rendered header), and none of them the operator's.
    await expect.poll(() => navLinks(trader.page), { timeout: patient.timeoutMs }).toContain('Markets')
    expect(await navLinks(trader.page)).not.toContain('Operator')
  })

  it('reconnects and resumes after the gateway restarts', async () => {
    const { page } = await open({ token: tokens.trader }, '/#/trader')
    await liveChartPainted(page, 'candles-panel')
    const state = () => page.getByTestId('connection').getAttribute('data-state')
    await eventually(async () => expect(await state()).toBe('open'), patient)
    const candlesBefore = await page.evaluate(() => document.querySelector('[data-testid="candles-panel"] .u-legend') !== null)
    expect(candlesBefore).toBe(true)
    const candleFreshness = page.locator('[data-testid="candles-panel"] [data-testid="freshness"]')
    const candlesAt = async () => Number(await candleFreshness.getAttribute('data-at'))
    const newestTrade = () => page.$$eval('[data-testid="tape-panel"] tbody tr', (trs) => Math.max(0, ...trs.map((tr) => Number(tr.getAttribute('data-t')))))
    await eventually(async () => expect(await newestTrade()).toBeGreaterThan(0), patient)
    const [candlesAtBefore, tradeBefore] = [await candlesAt(), await newestTrade()]
    expect(candlesAtBefore).toBeGreaterThan(0)
    const restarting = gw.restart()
    await eventually(async () => expect(await state()).toMatch(/reconnecting|connecting/), { timeoutMs: patient.timeoutMs, intervalMs: 100 })
    await screenshot(page, 'trader-reconnecting')
    gw = await restarting
    await eventually(async () => expect(await state()).toBe('open'), { timeoutMs: 300_000, intervalMs: 200 })
    // Resumed: newer data than before the restart arrives on the same subscriptions.
    await eventually(async () => {
      expect(await candlesAt()).toBeGreaterThan(candlesAtBefore)
      expect(await candleFreshness.evaluate((el) => el.classList.contains('fresh'))).toBe(true)
    }, patient)
    await eventually(async () => expect(await newestTrade()).toBeGreaterThan(tradeBefore), patient)
  })
})
