// Signing in, in real Chromium against the real gateway: one-click demo sign-in, a pasted
// token the server refuses, and OpenID Connect through a real provider's login page
// (oidc-provider run here) with live data, silent renewal and sign-out at the provider.
import { createServer } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { startOidcProvider, type TestOidcProvider } from '../../test/oidc/provider.ts'
import { launch, openPage, screenshot, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

// Waits are for events with deadlines far above a quiet run's: the machine may be loaded.
const patient = { timeoutMs: 120_000, intervalMs: 200 }
const freePort = () => new Promise<number>((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number }
    s.close(() => res(port))
  })
})

let browser: Browser
const opened: OpenPage[] = []
const gateways: TestGateway[] = []
let op: TestOidcProvider | undefined

beforeAll(async () => {
  browser = await launch()
}, 600_000)
afterAll(async () => op?.close())
closeAfterFile(() => ({ opened, browser, gateways }))

async function open(gw: TestGateway, token?: string): Promise<OpenPage> {
  const p = await openPage(browser, gw.url, { token })
  opened.push(p)
  await p.page.goto('/')
  return p
}
const storedToken = (page: Page) => page.evaluate(() => localStorage.getItem('livehouse.token'))
const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Views' }).getByRole('link').allTextContents()

describe('sign-in in headless Chromium', { timeout: 600_000 }, () => {
  it('demo mode: one click per role; a refused pasted token says why', async () => {
    const gw = await startGateway({ AUTH_DEMO: 'on' })
    gateways.push(gw)
    const { page, errors } = await open(gw)
    const demo = page.getByRole('group', { name: 'Demo sign-in' })
    // The demo buttons render once the sign-in page has read the gateway's auth settings.
    await expect.poll(() => demo.getByRole('button').allTextContents(), { timeout: patient.timeoutMs }).toEqual(['trader', 'seller', 'analyst', 'admin'])
    await demo.getByRole('button', { name: 'seller' }).click()
    await page.getByTestId('seller-view').waitFor({ timeout: patient.timeoutMs })
    await expect.poll(() => navLinks(page), { timeout: patient.timeoutMs }).toEqual(['Sales', 'Dashboards'])
    await expect.poll(() => page.locator('.who').textContent(), { timeout: patient.timeoutMs }).toBe('demo-seller')
    await page.getByRole('button', { name: 'Sign out' }).click()

    const expired = await tokenFor(['trader'], {}, '-1s')
    await eventually(async () => expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401), { timeoutMs: 60_000, intervalMs: 500 })
    await page.getByLabel('Token').fill(expired)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: patient.timeoutMs }).toMatch(/expired/)
    expect(await storedToken(page)).toBeNull()
    await screenshot(page, 'signin-demo')
    expect(errors.filter((e) => !/401/.test(e))).toEqual([])
  })

  it('OpenID Connect: signs in on the provider\'s login page, sees live data, renews silently, signs out at the provider', async () => {
    const port = await freePort()
    const origin = `http://127.0.0.1:${port}`
    // Access tokens live 75 s and are renewed 60 s before expiry: a renewal within ~15 s.
    op = await startOidcProvider({ uiOrigin: origin, accessTokenTtlS: 75 })
    const gw = await startGateway({ ...op.gatewayEnv, AUTH_SECRET: '', PORT: String(port), DEMO_RATE: '800', LIVE_TICK_MS: '250' })
    gateways.push(gw)
    expect(gw.url).toBe(origin)
    const { page, errors } = await open(gw)
    const failed: string[] = []
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`))

    await page.getByRole('button', { name: `Sign in with ${new URL(op.issuer).host}` }).click()
    await page.waitForURL((u) => u.origin === op!.issuer, { timeout: patient.timeoutMs }) // the provider's own page
    await page.getByPlaceholder('Enter any login').fill('alice')
    await page.getByPlaceholder('and password').fill('any password')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    await page.getByRole('button', { name: 'Continue' }).click() // consent
    await page.waitForURL((u) => u.origin === origin, { timeout: patient.timeoutMs })

    // Back in Livehouse as alice, a trader by the provider's lh-trader role, with live data.
    await page.getByTestId('trader-view').waitFor({ timeout: patient.timeoutMs })
    // The header is another element than the view waited for: read it until it shows the gateway's answer.
    await expect.poll(() => navLinks(page), { timeout: patient.timeoutMs }).toEqual(['Markets', 'Dashboards'])
    await expect.poll(() => page.locator('.who').textContent(), { timeout: patient.timeoutMs }).toBe('alice')
    expect(page.url()).not.toMatch(/code=|state=/)
    await eventually(async () => expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('open'), patient)
    await eventually(async () => {
      expect(await page.locator('[data-testid="candles-panel"] canvas').count()).toBeGreaterThan(0)
      expect(await page.locator('[data-testid="candles-panel"] [data-testid="freshness"]').first().textContent()).toMatch(/old$/)
    }, patient)
    const first = (await storedToken(page))!
    const header = JSON.parse(Buffer.from(first.split('.')[0], 'base64url').toString())
    expect(header.alg).toBe('ES256') // the provider's token, not one of ours
    await screenshot(page, 'signin-oidc-live')

    // Silent renewal: a new access token before the first expires, and the gateway takes it.
    const renewed = await eventually(async () => {
      const t = await storedToken(page)
      expect(t && t !== first).toBe(true)
      return t!
    }, patient)
    const exp = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).exp as number
    expect(exp(renewed)).toBeGreaterThan(exp(first))
    expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${renewed}` } })).status).toBe(200)
    expect(await page.getByTestId('trader-view').count()).toBe(1)
    // The live socket carries on with the renewed token (the client reconnects with it and resumes).
    await eventually(async () => expect(await page.getByTestId('connection').getAttribute('data-state')).toBe('open'), patient)
    const at = Number(await page.locator('[data-testid="candles-panel"] [data-testid="freshness"]').first().getAttribute('data-at'))
    await eventually(async () => expect(Number(await page.locator('[data-testid="candles-panel"] [data-testid="freshness"]').first().getAttribute('data-at'))).toBeGreaterThan(at), patient)

    // Sign-out ends the provider session too: signing in again asks for the login.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL((u) => u.origin === op!.issuer, { timeout: patient.timeoutMs })
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.waitForURL((u) => u.origin === origin, { timeout: patient.timeoutMs })
    await page.getByRole('heading', { name: 'Sign in to Livehouse' }).waitFor({ timeout: patient.timeoutMs })
    expect(await storedToken(page)).toBeNull()
    await page.getByRole('button', { name: `Sign in with ${new URL(op.issuer).host}` }).click()
    await page.getByPlaceholder('Enter any login').waitFor({ timeout: patient.timeoutMs })
    // The provider's pages ask for a favicon and web fonts it does not serve here; nothing of Livehouse's may fail.
    expect(failed.filter((f) => !f.startsWith(`404 ${op.issuer}/favicon.ico`))).toEqual([])
    expect(errors.filter((e) => !/fonts\.googleapis|status of 404|net::ERR_/.test(e))).toEqual([])
  })
})
