// Headless Chromium for the UI's browser tests and benchmark: Debian's /usr/bin/chromium
// driven by playwright-core. Missing Chromium is a failure, never a skip.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const root = resolve(import.meta.dirname, '../..')
export const chromiumPath = process.env.LIVEHOUSE_TEST_CHROMIUM ?? '/usr/bin/chromium'
export const screenshotDir = join(root, 'test-results/screenshots')
/**
 * Deadlines for waits on the page, far above a quiet run's: on a loaded machine (a busy CI host,
 * npm run test:stress) every step can take many times longer. Also each page's default for
 * Playwright's auto-waiting actions (click, fill, waitFor…), which is otherwise 30 s.
 */
export const patient = { timeoutMs: 120_000, intervalMs: 200 }

export async function launch(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`browser tests need Chromium at ${chromiumPath}: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: chromiumPath,
    timeout: patient.timeoutMs, // Playwright's 30 s default for Chromium to start is short on a loaded machine
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/**
 * Builds ui/dist when missing or stale (scripts/build-ui.mjs). Tests get it from vitest's global setup
 * (test/support/global-setup.ts), once per run before any file starts: two browser files building
 * at once emptied ui/dist under a gateway already serving it.
 */
export function buildUi() {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-ui.mjs')], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0 || !existsSync(join(root, 'ui/dist/index.html'))) throw new Error(`ui build failed:\n${r.stdout}\n${r.stderr}`)
}

export interface OpenPage {
  page: Page
  context: BrowserContext
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[]
}

/** A fresh context signed in with `token` (localStorage), in the given theme and viewport. */
export async function openPage(browser: Browser, baseUrl: string, o: { token?: string; theme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<OpenPage> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: o.width ?? 1280, height: o.height ?? 900 }, acceptDownloads: true })
  await context.addInitScript(([token, theme]) => {
    if (token && !sessionStorage.getItem('signed-in-once')) (localStorage.setItem('livehouse.token', token), sessionStorage.setItem('signed-in-once', '1'))
    if (theme) localStorage.setItem('livehouse.theme', theme)
  }, [o.token ?? '', o.theme ?? 'light'] as const)
  context.setDefaultTimeout(patient.timeoutMs)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  return { page, context, errors }
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}
