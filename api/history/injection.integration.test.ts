// Hostile values through every parameter of every catalog query (issue 16 item 3): catalog
// statements carry their parameters as literals (execute.ts), so each call must either be
// refused with the catalog's 400 before any SQL runs, or return exactly what ClickHouse's own
// parameter binding returns for the same values (the ground truth: a bound value is never
// SQL). Nothing the values say executes: the tables and their rows are the same afterwards.
import type { ClickHouseClient } from '@clickhouse/client'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../core/errors.ts'
import type { Principal } from '../../core/roles.ts'
import { startClickHouseHttp } from '../../test/support/clickhouse-http.ts'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { createClickHouse } from '../clickhouse/client.ts'
import { applyMigrations } from '../clickhouse/migrate.ts'
import { createClientPool } from '../clickhouse/pool.ts'
import { loadCatalog, type CatalogQuery } from './catalog.ts'
import { catalogSettings, catalogStatement, executeCatalogQuery } from './execute.ts'
import { formatTime, resolveCall } from './params.ts'

const hostile = [
  "'", '\\', "\\'; SELECT 1; --", "shop-a' OR shop_id != '", "x'); DROP TABLE orders; --", '{shop:String} $&$1 "`',
  "🙂é */ SELECT 1 /* 1' UNION ALL SELECT name FROM system.tables --", '1 OR 1=1', '-1', '0x10', '99999999999',
  "now'; --", "1h' OR '1'='1", "2025-01-01'); DROP TABLE orders; --", 'line\nbreak', 'nul\u0000x', '', ' padded ', 'x'.repeat(300),
]
// Valid values for the required parameters a call does not make hostile.
const valid: Record<string, string> = { shop: 'shop-a', product_id: 'p1', customer_id: 'c1', symbol: 'BTC-USD' }

const hour = 3600_000
const nowMs = Math.floor(Date.now() / hour) * hour
const catalog = loadCatalog()
const settings = catalogSettings(60)
const admin: Principal = { sub: 'injection', roles: new Set(['admin']), symbols: '*', shops: '*' }
// A caller whose own scope (from a token's claims) holds hostile names: they reach the SQL as arrays.
const scoped: Principal = { sub: 'injection-scoped', roles: new Set(['seller', 'trader']), symbols: new Set(['BTC-USD', ...hostile]), shops: new Set(['shop-a', ...hostile]) }

let dataDir: string
let writer: ClickHouseClient
let inline: ClickHouseClient
let bound: ClickHouseClient

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lh-catalog-injection-'))
  writer = createClickHouse({ dataDir }, 'ops')
  inline = createClickHouse({ dataDir }, 'queries')
  bound = createClickHouse({ dataDir }, 'queries')
  await applyMigrations(writer)
  const f = makeFixtures(nowMs - 3 * hour)
  for (const [table, rows] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const) {
    const values = rows.map((r) => ({ ...r, ts: formatTime(r.ts as number) }))
    await writer.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { input_format_skip_unknown_fields: 1 } })
  }
}, 120_000)

afterAll(async () => {
  await Promise.all([inline, bound, writer].map((c) => c?.close()))
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

/**
 * Every table of the database with its rows: what a statement that executed something would change.
 * Not the insights database: its refreshable views rewrite their tables every minute on their own.
 */
const tableState = async () => (await (await writer.query({
  query: 'SELECT name, total_rows FROM system.tables WHERE database = currentDatabase() ORDER BY name',
  format: 'JSONEachRow',
})).json()).map((r) => JSON.stringify(r))

/** One call: refused with 400 INVALID_PARAMETER before any SQL, or the same rows as ClickHouse's own binding. */
async function check(q: CatalogQuery, input: Record<string, string>, principal: Principal): Promise<'refused' | 'same'> {
  let params: Record<string, unknown>
  try {
    params = resolveCall(q, input, principal, nowMs).bound
  } catch (e) {
    expect(e, `${q.name} ${JSON.stringify(input)}`).toBeInstanceOf(AppError)
    expect({ status: (e as AppError).status, code: (e as AppError).code }, `${q.name} ${JSON.stringify(input)}`).toEqual({ status: 400, code: 'INVALID_PARAMETER' })
    return 'refused'
  }
  const [expected, got] = await Promise.all([
    bound.query({ query: q.sql, query_params: params, format: 'JSON', clickhouse_settings: settings }).then((rs) => rs.json<Record<string, unknown>>()),
    executeCatalogQuery(inline, q, params, settings),
  ])
  expect(got.rows, `${q.name} ${JSON.stringify(input)}\n${catalogStatement(q, params)}`).toEqual(expected.data)
  return 'same'
}

describe('hostile parameter values through every catalog query', () => {
  it.each([...catalog.keys()])('%s', async (name) => {
    const q = catalog.get(name)!
    const before = await tableState()
    const required = Object.fromEntries(q.params.filter((p) => p.required).map((p) => [p.name, valid[p.name]]))
    const outcomes: string[] = []
    for (const p of q.params) {
      for (const value of hostile) outcomes.push(await check(q, { ...required, [p.name]: value }, admin))
    }
    if (q.scopes.shops || q.scopes.symbols) outcomes.push(await check(q, required, { ...scoped, roles: new Set(q.roles) }))
    expect(outcomes.length).toBeGreaterThan(0)
    expect(await tableState()).toEqual(before)
  }, 300_000)

  it('some hostile strings reach the SQL (String, Id and Shop take quotes and backslashes) and answer like bound values', async () => {
    const q = catalog.get('funnel')!
    const outcomes = await Promise.all(["' OR 1=1 --", "x'); DROP TABLE orders; --", '\\'].map((v) => check(q, { product_id: v }, admin)))
    expect(outcomes).toEqual(['same', 'same', 'same'])
    // Control characters never do: refused before any SQL.
    expect(await check(q, { product_id: 'nul\u0000x' }, admin)).toBe('refused')
  }, 120_000)

  it('over ClickHouse\'s HTTP interface (CLICKHOUSE_URL), a pool of HTTP clients answers the same statements the same', async () => {
    const http = await startClickHouseHttp(dataDir)
    const clients = [0, 1].map(() => createClickHouse({ url: http.url, dataDir }, 'queries'))
    try {
      const pool = createClientPool(clients)
      const q = catalog.get('sales_overview')!
      for (const shop of ['shop-a', "x'); DROP TABLE orders; --", '\\']) {
        const params = resolveCall(q, { shop, from: new Date(nowMs - 3 * hour).toISOString(), to: new Date(nowMs).toISOString() }, admin, nowMs).bound
        const expected = await (await bound.query({ query: q.sql, query_params: params, format: 'JSON', clickhouse_settings: settings })).json<Record<string, unknown>>()
        if (shop === 'shop-a') expect(expected.data.length).toBeGreaterThan(0)
        const got = await Promise.all([executeCatalogQuery(pool, q, params, settings), executeCatalogQuery(pool, q, params, settings)])
        expect(got.map((r) => r.rows)).toEqual([expected.data, expected.data])
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()))
      await http.close()
    }
  }, 120_000)
})
