// The UI's Content-Security-Policy in real Chromium: the served pages carry it, the browser
// enforces it (an injected inline script does not run), and the app's own views work under it
// (live charts over the WebSocket, the worker, styles, the SQL editor's nonce'd styles) with no
// violation reported.
import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { launch, openPage, patient, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

let gw: TestGateway
let browser: Browser
const opened: OpenPage[] = []

beforeAll(async () => {
  browser = await launch()
  gw = await startGateway({ DEMO_RATE: '300', LIVE_TICK_MS: '250' })
}, 600_000)

closeAfterFile(() => ({ opened, browser, gateways: [gw] }))

// Waits have deadlines far above a quiet run's (the default 60 s test timeout is not): the machine may be loaded.
describe('content security policy', { timeout: 600_000 }, () => {
  it('is sent with the UI page', async () => {
    const res = await fetch(`${gw.url}/`)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self' 'sha256-")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
  })

  it('gives every answer its own style nonce, in the policy and in the page, and no placeholder', async () => {
    const nonces = await Promise.all([1, 2].map(async () => {
      const res = await fetch(`${gw.url}/#/analyst`)
      const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{16,})'/.exec(res.headers.get('content-security-policy') ?? '')?.[1]
      const html = await res.text()
      expect(html).not.toContain('livehouse-csp-nonce')
      expect(html).toContain(`<meta name="csp-nonce" nonce="${nonce}"`)
      return nonce
    }))
    expect(nonces[0]).not.toBe(nonces[1])
  })

  it('is enforced by the browser, and the trader and seller views run under it without a violation', async () => {
    const o = await openPage(browser, gw.url, { token: await tokenFor(['trader', 'seller', 'analyst']) })
    opened.push(o)
    const { page, errors } = o
    await page.addInitScript(() => {
      const w = window as unknown as { violations: string[] }
      w.violations = []
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`))
    })
    await page.goto('/')
    // The inline theme script (allowed by its hash) ran before first paint.
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
    // An injected inline script does not run.
    expect(await page.evaluate(() => {
      const s = document.createElement('script')
      s.textContent = 'window.injected = 1'
      document.head.append(s)
      return (window as unknown as { injected?: number }).injected
    })).toBeUndefined()
    const violations = () => page.evaluate(() => (window as unknown as { violations: string[] }).violations)
    await eventually(async () => expect(await violations()).toEqual(['script-src-elem inline']), patient)
    await page.evaluate(() => ((window as unknown as { violations: string[] }).violations = []))

    for (const view of ['/#/trader', '/#/seller']) {
      await page.goto(view)
      // Live data drawn: a canvas chart and a freshness label that only live frames update.
      await eventually(async () => {
        expect(await page.locator('canvas').count()).toBeGreaterThan(0)
        expect(await page.locator('[data-testid="freshness"]').first().textContent()).toMatch(/old$/)
      }, patient)
      expect([view, await violations()]).toEqual([view, []])
    }
    // Dashboards lay widgets out with style attributes (a grid): allowed, and drawn.
    await page.goto('/#/dashboards')
    await page.getByRole('button', { name: 'Seller template' }).click()
    await page.locator('[data-testid="widget"] .uplot').first().waitFor({ timeout: patient.timeoutMs })
    await expect.poll(() => page.getByTestId('board').evaluate((el) => getComputedStyle(el).getPropertyValue('--row')), { timeout: patient.timeoutMs }).toMatch(/px$/)
    expect(await violations()).toEqual([])
    // The SQL editor (CodeMirror) writes its styles into a <style> element: applied, with the nonce.
    await page.goto('/#/analyst')
    await page.locator('.cm-editor').waitFor()
    await page.locator('[data-table="default.trades"]').waitFor({ timeout: patient.timeoutMs })
    await expect.poll(() => page.locator('.cm-editor').evaluate((el) => getComputedStyle(el).borderTopLeftRadius), { timeout: patient.timeoutMs }).toBe('6px')
    expect(await violations()).toEqual([])
    // …and an injected <style> without it still does not apply.
    expect(await page.evaluate(() => {
      const s = document.createElement('style')
      s.textContent = 'body { margin-left: 77px !important }'
      document.head.append(s)
      return getComputedStyle(document.body).marginLeft
    })).not.toBe('77px')
    await eventually(async () => expect(await violations()).toEqual(['style-src-elem inline']), patient)
    // The console reports the two blocked elements, both injected. Its messages reach this process as
    // events of their own, not ordered with the page's answer above: wait for them.
    await eventually(() => expect(errors.filter((e) => /Content Security Policy/i.test(e))).toHaveLength(2), patient)
  })
})
