// The analyst workbench in real headless Chromium against the real gateway and its
// embedded engine: completion fed from system tables, large answers, downloads, cancel.
import { readFileSync } from 'node:fs'
import type { Browser, Page, Request } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { toCsv } from '../src/csv.ts'
import { launch, openPage, patient, screenshot, type OpenPage } from './browser.ts'
import { closeAfterFile } from './browser-file.ts'

let gw: TestGateway
let browser: Browser
let token: string
let operator: string
const opened: OpenPage[] = []

beforeAll(async () => {
  browser = await launch()
  // The longest cap there is: a query that Cancel fails to stop would outlive the test, never time out during it.
  gw = await startGateway({ DEMO_RATE: '200', SQL_MAX_EXECUTION_S: '3600' })
  token = await tokenFor(['analyst'])
  operator = await tokenFor(['admin'])
}, 600_000)

closeAfterFile(() => ({ opened, browser, gateways: [gw] }))

/** The analyst view with its schema loaded (the schema browser lists `trades`). */
async function openAnalyst(theme: 'light' | 'dark' = 'light'): Promise<OpenPage> {
  const p = await openPage(browser, gw.url, { token, theme })
  opened.push(p)
  await p.page.goto('/#/analyst')
  await p.page.getByTestId('analyst-view').waitFor()
  await p.page.locator('[data-table="default.trades"]').waitFor({ timeout: patient.timeoutMs })
  return p
}

const editor = (page: Page) => page.getByLabel('SQL query')
/** The document as CodeMirror renders it (lines joined, the placeholder left out). */
const editorText = (page: Page) => editor(page).evaluate((el) => [...el.querySelectorAll('.cm-line')].map((line) => {
  const copy = line.cloneNode(true) as HTMLElement
  copy.querySelectorAll('.cm-placeholder').forEach((p) => p.remove())
  return copy.textContent ?? ''
}).join('\n').replace(/\u00a0/g, ' ').trim())
const summary = (page: Page) => page.getByTestId('sql-summary')

/** Replaces the whole document, as typing over a selection does. */
async function setSql(page: Page, sql: string) {
  await editor(page).focus()
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  if (sql) await page.keyboard.insertText(sql)
  await eventually(async () => expect(await editorText(page)).toBe(sql), patient)
}

/** Runs `sql` with Ctrl+Enter and waits until the run is over (done, error or cancelled). */
async function runSql(page: Page, sql: string, timeoutMs = patient.timeoutMs) {
  await setSql(page, sql)
  await editor(page).press('Control+Enter')
  await eventually(async () => expect(await summary(page).getAttribute('data-state')).toMatch(/^(done|error|cancelled)$/), { timeoutMs, intervalMs: 100 })
}

/** How many engine statements run for the browser's query `queryId` (the port marks each with it), as an operator sees them. */
async function statementsOf(queryId: string): Promise<number> {
  expect(queryId).toMatch(/^[0-9a-f-]{36}$/)
  const res = await fetch(`${gw.url}/api/v1/sql`, {
    method: 'POST', headers: { authorization: `Bearer ${operator}` },
    body: `SELECT count() FROM system.processes WHERE Settings['log_comment'] LIKE 'livehouse-analyst:${queryId}:%'`,
  })
  const text = await res.text()
  expect([res.status, text]).toEqual([200, expect.stringMatching(/^\d+\n$/)])
  return Number(text)
}

const options = (page: Page) => page.locator('.cm-tooltip-autocomplete .cm-completionLabel').allTextContents()
/** Picks a completion with the mouse (keys are ignored for the popup's first 75 ms, by design). */
const pick = (page: Page, label: string) =>
  page.locator('.cm-tooltip-autocomplete li').filter({ has: page.locator('.cm-completionLabel', { hasText: new RegExp(`^${label}$`) }) }).click()

// Waits have deadlines far above a quiet run's (the default 60 s test timeout is not): the machine may be loaded.
describe('analyst SQL workbench in headless Chromium', { timeout: 600_000 }, () => {
  it('completes tables, columns and functions read from system tables, and highlights SQL', async () => {
    const { page, errors } = await openAnalyst('dark')
    const sqlBodies: string[] = []
    page.on('request', (r) => void (r.url().includes('/api/v1/sql') && sqlBodies.push(r.postData() ?? '')))
    // The schema came from the engine: these are the browser's own requests at page load.
    await page.reload()
    await page.locator('[data-table="default.trades"]').waitFor({ timeout: patient.timeoutMs })
    expect(sqlBodies.join('\n')).toMatch(/FROM system\.tables/)
    expect(sqlBodies.join('\n')).toMatch(/FROM system\.columns/)
    expect(sqlBodies.join('\n')).toMatch(/FROM system\.functions/)

    await setSql(page, '')
    await page.keyboard.type('SELECT * FROM trad')
    await eventually(async () => expect(await options(page)).toContain('trades'), patient)
    await pick(page, 'trades')
    await eventually(async () => expect(await editorText(page)).toBe('SELECT * FROM trades'), patient)

    // Columns of the table the statement reads, unqualified.
    await page.keyboard.type(' WHERE pri')
    await eventually(async () => expect(await options(page)).toContain('price'), patient)
    const detail = await page.locator('.cm-tooltip-autocomplete li').filter({ hasText: 'price' }).first().locator('.cm-completionDetail').textContent()
    expect(detail).toMatch(/Float64|Decimal/)
    await pick(page, 'price')
    await eventually(async () => expect(await editorText(page)).toBe('SELECT * FROM trades WHERE price'), patient)

    // A function only the engine's list knows, inserted as a call with the cursor inside.
    await page.keyboard.type(' > 0 AND toStartOfFifteenMin')
    await eventually(async () => expect(await options(page)).toContain('toStartOfFifteenMinutes'), patient)
    await pick(page, 'toStartOfFifteenMinutes')
    await page.keyboard.type('ts')
    await eventually(async () => expect(await editorText(page)).toBe('SELECT * FROM trades WHERE price > 0 AND toStartOfFifteenMinutes(ts)'), patient)

    // Highlighting: the keyword is drawn in the theme's accent colour, the identifier is not.
    // CodeMirror parses in time slices and finishes a parse that overran its slice later (on a
    // loaded machine it does): read the colours until the parse has reached the end.
    await eventually(async () => {
    const colours = await page.locator('.cm-content').evaluate((el) => {
      const css = getComputedStyle(document.documentElement)
      const probe = document.createElement('span')
      probe.style.color = css.getPropertyValue('--accent')
      document.body.append(probe)
      const accent = getComputedStyle(probe).color
      probe.remove()
      const spans = [...el.querySelectorAll('span')]
      const colour = (text: string) => { const s = spans.find((x) => x.textContent === text); return s ? getComputedStyle(s).color : 'none' }
      return { accent, select: colour('SELECT'), where: colour('WHERE') }
    })
    expect(colours.select).toBe(colours.accent)
    expect(colours.where).toBe(colours.accent)
    }, patient)
    await screenshot(page, 'analyst-completion-dark')
    expect(errors).toEqual([])
  })

  it('the editor is a lazy chunk: another view does not load it, the analyst view does', async () => {
    const p = await openPage(browser, gw.url, { token })
    opened.push(p)
    const scripts: string[] = []
    p.page.on('request', (r) => void (r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname)))
    await p.page.goto('/#/dashboards')
    await p.page.getByTestId('dashboards-view').waitFor()
    // The entry chunk, as the served page names it (its file name follows the build's input).
    const entry = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(await (await fetch(gw.url)).text())?.[1]
    expect(entry).toMatch(/^\/assets\//)
    expect(scripts).toContain(entry)
    expect(scripts.filter((s) => /\/assets\/Analyst-/.test(s))).toEqual([])
    await p.page.getByRole('link', { name: 'SQL' }).click()
    await p.page.locator('.cm-editor').waitFor()
    expect(scripts.filter((s) => /\/assets\/Analyst-/.test(s))).toHaveLength(1)
    expect(p.errors).toEqual([])
  })

  it('schema browser: filter, insert a column at the cursor, preview a table', async () => {
    const { page, errors } = await openAnalyst()
    const browserPanel = page.getByTestId('schema-browser')
    await browserPanel.getByLabel('Filter tables and columns').fill('price')
    const trades = browserPanel.locator('[data-table="default.trades"]')
    await trades.getByRole('button', { name: 'price', exact: true }).waitFor()
    expect(await browserPanel.locator('[data-table="default.web_events"]').count()).toBe(0)
    await setSql(page, 'SELECT  FROM trades')
    await page.keyboard.press('Control+Home')
    for (let i = 0; i < 'SELECT '.length; i++) await page.keyboard.press('ArrowRight')
    await trades.getByRole('button', { name: 'price', exact: true }).click()
    await eventually(async () => expect(await editorText(page)).toBe('SELECT price FROM trades'), patient)

    await trades.getByRole('button', { name: 'Preview trades' }).click()
    await eventually(async () => expect(await summary(page).getAttribute('data-state')).toBe('done'), patient)
    expect(await editorText(page)).toMatch(/^SELECT \*\s+FROM trades\s+LIMIT 100$/)
    // The results table is another element than the summary waited for.
    await expect.poll(async () => (await page.locator('[data-testid="sql-results"] thead th').allTextContents()).join(' '), { timeout: patient.timeoutMs }).toMatch(/symbol.*price/)
    await screenshot(page, 'analyst-schema')
    expect(errors).toEqual([])
  })

  it('shows row count and elapsed time; 250,000 rows stream into a virtualised grid that keeps the first 100,000', async () => {
    const { page, errors } = await openAnalyst()
    await runSql(page, 'SELECT number AS n, toString(number) AS s FROM numbers(1000)')
    expect(await summary(page).getAttribute('data-rows')).toBe('1000')
    expect(await summary(page).textContent()).toMatch(/^1[,.\u202f\u00a0]?000 rows · \d+[.,]\d+ s/)

    await runSql(page, 'SELECT number % 2 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k')
    expect(await summary(page).getAttribute('data-rows')).toBe('2')
    await expect.poll(() => page.locator('.result-grid tfoot tr').allInnerTexts(), { timeout: patient.timeoutMs }).toEqual([expect.stringMatching(/^Totals\s+0\s+10$/)])

    await runSql(page, 'SELECT number AS n, toString(number) AS s, repeat(\'x\', 20) AS pad FROM numbers(250000)', 120_000)
    if (await page.getByTestId('sql-error').count()) throw new Error(`query failed: ${await page.getByTestId('sql-error').textContent()}`)
    expect(await summary(page).getAttribute('data-state')).toBe('done')
    expect(await summary(page).getAttribute('data-rows')).toBe('100000')
    expect(await summary(page).textContent()).toMatch(/^First 100[,.\u202f\u00a0]?000 rows shown/)
    const grid = page.locator('.result-grid')
    expect(await grid.locator('tbody tr[data-index]').count()).toBeLessThan(120)
    await expect.poll(() => page.locator('[data-testid="result-table"]').getAttribute('aria-rowcount'), { timeout: patient.timeoutMs }).toBe('100001')
    await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await eventually(async () => expect(await grid.locator('tbody tr[data-index="99999"] td').nth(1).textContent()).toBe('99999'), patient)
    expect(await grid.locator('tbody tr[data-index]').count()).toBeLessThan(120)
    await screenshot(page, 'analyst-large')
    expect(errors).toEqual([])
  })

  it('an error, also one raised after rows were sent, shows ClickHouse code and text', async () => {
    const { page, errors } = await openAnalyst()
    await runSql(page, 'SELECT no_such_column FROM trades')
    expect(await summary(page).getAttribute('data-state')).toBe('error')
    await expect.poll(() => page.getByTestId('sql-error').textContent(), { timeout: patient.timeoutMs }).toMatch(/Code: 47\./)
    await runSql(page, "SELECT throwIf(number = 70000, 'boom at seventy thousand') FROM numbers(100000)")
    expect(await summary(page).getAttribute('data-state')).toBe('error')
    await expect.poll(() => page.getByTestId('sql-error').textContent(), { timeout: patient.timeoutMs }).toMatch(/Code: 395\..*boom at seventy thousand/)
    // The refused requests are answered with 4xx/5xx: the only console errors allowed here.
    expect(errors.filter((e) => !/status of (4|5)\d\d/.test(e))).toEqual([])
  })

  it('downloads CSV of the rows shown (the shared toCsv) and Parquet written by the engine', async () => {
    const { page, errors } = await openAnalyst()
    const sql = "SELECT number AS n, concat('=HYPERLINK(', toString(number), ')') AS f, 'a,\"b\"' AS q, [number, 7] AS arr, if(number = 1, NULL, number * 10) AS maybe FROM numbers(3) ORDER BY n"
    await runSql(page, sql)
    expect(await summary(page).getAttribute('data-rows')).toBe('3')

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
    expect(csvDownload.suggestedFilename()).toMatch(/^result-\d{8}-\d{6}\.csv$/)
    const csv = readFileSync((await csvDownload.path())!, 'utf8')
    const expected = [0, 1, 2].map((i) => [i, `=HYPERLINK(${i})`, 'a,"b"', `[${i},7]`, i === 1 ? null : i * 10])
    expect(csv).toBe(toCsv(['n', 'f', 'q', 'arr', 'maybe'], expected))

    const [parquetDownload] = await Promise.all([page.waitForEvent('download', { timeout: patient.timeoutMs }), page.getByRole('button', { name: 'Download Parquet' }).click()])
    expect(parquetDownload.suggestedFilename()).toMatch(/\.parquet$/)
    const path = (await parquetDownload.path())!
    const bytes = readFileSync(path)
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1')
    expect(bytes.subarray(bytes.length - 4).toString()).toBe('PAR1')
    // Read back by a ClickHouse engine of its own (chDB in this process): the same rows.
    const { query } = await import('chdb')
    const back = JSON.parse(query(`SELECT n, f, q, arr, maybe FROM file('${path.replace(/'/g, "\\'")}', Parquet) ORDER BY n`, 'JSONCompact')).data
    expect(back.map((r: unknown[]) => r.map(String))).toEqual(expected.map((r) => r.map((v) => (v === null ? 'null' : String(v).replace(/^\[(\d+),7\]$/, '$1,7')))))

    // A statement with its own FORMAT clause is shown as text, and offers no downloads.
    await runSql(page, 'SELECT 1 AS one FORMAT CSVWithNames')
    await expect.poll(() => page.getByTestId('sql-text').textContent(), { timeout: patient.timeoutMs }).toBe('"one"\n1\n')
    expect(await page.getByRole('button', { name: 'Download CSV' }).count()).toBe(0)
    expect(errors).toEqual([])
  })

  // Last: a query Cancel failed to stop would hold one of the user's slots for the rest of the file.
  it('cancel: the running query request is aborted, the engine stops the statement, the view says so, and the next query runs', async () => {
    const { page, errors } = await openAnalyst()
    await setSql(page, 'SELECT count() FROM numbers(1e13)')
    const request = page.waitForRequest((r) => r.url().includes('/api/v1/sql') && (r.postData() ?? '').includes('numbers(1e13)'))
    await page.getByRole('button', { name: 'Run', exact: true }).click()
    const sent: Request = await request
    const url = new URL(sent.url())
    const queryId = url.searchParams.get('query_id')!
    expect(queryId).toMatch(/^[0-9a-f-]{36}$/)
    expect(url.searchParams.get('cancel_http_readonly_queries_on_client_close')).toBe('1')
    await eventually(async () => expect(await summary(page).textContent()).toMatch(/^Running… \d/), patient)
    await expect.poll(() => page.getByRole('button', { name: 'Cancel' }).isEnabled(), { timeout: patient.timeoutMs }).toBe(true)
    // The engine runs it (so the check below looks at the right statement)…
    await eventually(async () => expect(await statementsOf(queryId)).toBe(1), { timeoutMs: patient.timeoutMs, intervalMs: 250 })

    const failed = page.waitForEvent('requestfailed', { predicate: (r) => r === sent })
    await page.getByRole('button', { name: 'Cancel' }).click()
    expect((await failed).failure()?.errorText).toMatch(/ERR_ABORTED|cancel/i)
    // …and stops it: with SQL_MAX_EXECUTION_S at an hour, nothing else would end it during the test.
    await eventually(async () => expect(await statementsOf(queryId)).toBe(0), { timeoutMs: patient.timeoutMs, intervalMs: 250 })
    await eventually(async () => expect(await summary(page).getAttribute('data-state')).toBe('cancelled'), patient)
    expect(await summary(page).textContent()).toMatch(/^Cancelled after \d/)
    expect(await page.getByRole('button', { name: 'Cancel' }).isEnabled()).toBe(false)
    expect(await page.getByTestId('sql-error').count()).toBe(0)
    await screenshot(page, 'analyst-cancelled')

    await runSql(page, 'SELECT 42 AS answer', 150_000)
    expect(await summary(page).getAttribute('data-state')).toBe('done')
    await expect.poll(() => page.locator('.result-grid tbody tr[data-index="0"] td').nth(1).textContent(), { timeout: patient.timeoutMs }).toBe('42')
    expect(errors).toEqual([])
  })
})
