// Alerts in real headless Chromium against the real gateway: "alert me" on the trader chart
// opens a prefilled rule form, the rule fires when ingested trades drive the price over the
// level, the bell counts it, and ack clears it. The bell is on every view.
import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, startGateway, type TestGateway } from '../../test/support/gateway.ts'
import { launch, openPage, patient, screenshot, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

let gw: TestGateway
let browser: Browser
const opened: OpenPage[] = []
let lastTs = 0
const trade = (symbol: string, price: number) => ({ id: `ui-${symbol}-${price}-${lastTs}`, ts: (lastTs = Math.max(lastTs + 1, Date.now())), symbol, price, qty: 1, side: 'buy' })

beforeAll(async () => {
  browser = await launch()
  gw = await startGateway({ DEMO_RATE: '0', LIVE_TICK_MS: '200' })
}, 600_000)

closeAfterFile(() => ({ opened, browser, gateways: [gw] }))

async function open(token: string, path: string): Promise<OpenPage> {
  const p = await openPage(browser, gw.url, { token })
  opened.push(p)
  await p.page.goto(path)
  return p
}

const rulesOf = async (token: string) => ((await (await fetch(`${gw.url}/api/v1/alerts/rules`, { headers: { authorization: `Bearer ${token}` } })).json()) as { rules: any[] }).rules

// Tests and waits have deadlines far above a quiet run's (the default 60 s test timeout is not): the machine may be loaded.
describe('alerts in the UI (headless Chromium)', { timeout: 600_000 }, () => {
  it('creates a rule from a chart, sees it fire from ingested trades, and acks it', async () => {
    const token = await auth.sign({ sub: 'ui-alerts-trader', roles: ['trader'], symbols: ['ALRT'], shops: [] }, '1h')
    expect((await ingest(gw, 'trades', [trade('ALRT', 100)])).status).toBe(200)
    const { page, errors } = await open(token, '/#/trader')
    const panel = page.getByTestId('candles-panel')
    await eventually(async () => expect(await panel.locator('canvas').count()).toBeGreaterThan(0), patient)
    await eventually(async () => expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('open'), patient)
    await expect(page.getByTestId('alerts-unread').count()).resolves.toBe(0)

    await panel.getByTestId('alert-me').click()
    const form = page.getByTestId('rule-form')
    await form.waitFor()
    // Its fields are other elements than the form waited for: read them until they are filled in.
    await expect.poll(() => form.getByTestId('rule-channel').textContent(), { timeout: patient.timeoutMs }).toBe('candles ALRT 1s')
    await expect.poll(() => form.getByLabel('Column').inputValue(), { timeout: patient.timeoutMs }).toBe('close')
    await expect.poll(() => form.getByLabel('Condition').inputValue(), { timeout: patient.timeoutMs }).toBe('crosses_above')
    await eventually(async () => expect(Number(await form.getByLabel('Value').inputValue())).toBe(100), patient) // the chart's last close
    await form.getByLabel('Condition').selectOption('>')
    await form.getByLabel('Value').fill('105')
    await screenshot(page, 'alerts-rule-form')
    await form.getByRole('button', { name: 'Create rule' }).click()
    await form.waitFor({ state: 'hidden' })
    const [rule] = await rulesOf(token)
    expect(rule).toMatchObject({ channel: 'candles', params: { symbol: 'ALRT', interval: '1s' }, condition: { column: 'close', op: '>', value: 105 }, acked_at: null })

    expect((await ingest(gw, 'trades', [trade('ALRT', 110)])).status).toBe(200)
    await eventually(async () => expect(await page.getByTestId('alerts-unread').textContent()).toBe('1'), patient)
    await page.getByTestId('alerts-bell').click()
    const item = page.getByTestId('alerts-panel').getByTestId('alert-item')
    await eventually(async () => {
      expect(await item.count()).toBe(1)
      expect(await item.textContent()).toContain(rule.name)
      expect(await item.getByTestId('alert-value').textContent()).toBe('110')
    }, patient)
    await screenshot(page, 'alerts-panel')
    await item.getByRole('button', { name: 'Ack' }).click()
    await eventually(async () => expect(await page.getByTestId('alerts-unread').count()).toBe(0), patient)
    expect((await rulesOf(token))[0].acked_at).not.toBeNull()
    // The ack is the server's: a reload still shows nothing unread, and the alert itself. The alert
    // comes over the live socket, its rule (with the ack time) over REST: held back here, so the
    // alert is in first, and an alert whose rule is not known yet must not count as unread.
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route(/\/api\/v1\/alerts\/rules$/, async (route) => {
      if (route.request().method() === 'GET') await held
      await route.continue()
    })
    await page.reload()
    await eventually(async () => expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('open'), patient)
    await page.getByTestId('alerts-bell').click()
    await eventually(async () => expect(await page.getByTestId('alerts-panel').getByTestId('alert-item').count()).toBe(1), patient)
    expect(await page.getByTestId('alerts-unread').count()).toBe(0)
    release()
    await expect.poll(() => page.getByTestId('alerts-panel').getByRole('button', { name: /^Rules/ }).textContent(), { timeout: patient.timeoutMs }).toBe('Rules (1)')
    expect(await page.getByTestId('alerts-unread').count()).toBe(0)
    await page.unroute(/\/api\/v1\/alerts\/rules$/)
    expect(errors).toEqual([])
  })

  it('shows the bell on every view, snoozes from the panel, and "alert me" on a KPI prefills a sales rule', async () => {
    const token = await auth.sign({ sub: 'ui-alerts-both', roles: ['trader', 'seller'], symbols: ['ALRT2'], shops: ['shop-ui'] }, '1h')
    expect((await ingest(gw, 'trades', [trade('ALRT2', 50)])).status).toBe(200)
    const created = await fetch(`${gw.url}/api/v1/alerts/rules`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ALRT2 above 60', channel: 'trades', params: { symbol: 'ALRT2' }, condition: { column: 'price', op: '>', value: 60 } }),
    })
    expect(created.status).toBe(201)
    const { page, errors } = await open(token, '/#/seller')
    await page.getByTestId('seller-view').waitFor()
    expect((await ingest(gw, 'trades', [trade('ALRT2', 70)])).status).toBe(200)
    for (const view of ['seller', 'dashboards', 'trader']) {
      await page.goto(`/#/${view}`)
      await eventually(async () => expect(await page.getByTestId('alerts-unread').textContent()).toBe('1'), patient)
    }
    await page.getByTestId('alerts-bell').click()
    await page.getByTestId('alerts-panel').getByRole('button', { name: 'Snooze 1 h' }).click()
    await eventually(async () => expect(Date.parse((await rulesOf(token))[0].snoozed_until)).toBeGreaterThan(Date.now() + 3_000_000), patient)
    await page.getByTestId('alerts-panel').getByRole('button', { name: /^Rules/ }).click()
    // The gateway stored the snooze before the page read its answer: wait for the page to show it.
    await expect.poll(() => page.getByTestId('alerts-panel').getByTestId('rule-item').textContent(), { timeout: patient.timeoutMs }).toContain('snoozed until')
    await page.keyboard.press('Escape')

    await page.goto('/#/seller')
    await page.getByRole('region', { name: 'Revenue' }).getByTestId('alert-me').click()
    const form = page.getByTestId('rule-form')
    await form.waitFor()
    await expect.poll(() => form.getByTestId('rule-channel').textContent(), { timeout: patient.timeoutMs }).toBe('sales shop-ui 1m')
    await expect.poll(async () => [await form.getByLabel('Column').inputValue(), await form.getByLabel('Condition').inputValue(), await form.getByLabel('Value').inputValue()], { timeout: patient.timeoutMs }).toEqual(['revenue', 'anomaly', '3'])
    await form.getByRole('button', { name: 'Create rule' }).click()
    await form.waitFor({ state: 'hidden' })
    await eventually(async () => expect((await rulesOf(token)).map((r) => [r.channel, r.condition.op, r.condition.direction])).toContainEqual(['sales', 'anomaly', 'below']), patient)
    expect(errors).toEqual([])
  })
})
