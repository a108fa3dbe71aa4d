// The catalog's scope on REST, table-driven against the real gateway and engine: every
// catalog query runs with an in-scope and an out-of-scope token over data of both. A query
// added to api/queries/ without a row here fails the first test.
import { describe, expect, it } from 'vitest'
import { tokenFor } from '../test/support/gateway.ts'
import { gatewayForFile, ingestStored, noRateLimits } from '../test/support/gateway-file.ts'
import type { Role } from '../core/roles.ts'
import { loadCatalog } from './history/catalog.ts'
import { makeFixtures } from '../test/support/history-fixtures.ts'

const hour = 3600_000
const base = Math.floor(Date.now() / hour) * hour - 3 * hour
const range = { from: new Date(base).toISOString(), to: new Date(base + 2 * hour).toISOString() }
const trailing = { to: range.to, window: '3h' }
/** Insights read snapshots for "now"; an explicit time computes from the raw rows the fixtures wrote. */
const asOf = new Date(base + 2 * hour).toISOString()
/** In scope (A) and out of scope (B): fixture entities that both have data. */
const symbols = { A: 'BTC-USD', B: 'ETH-USD' }
const shops = { A: 'shop-a', B: 'shop-b' }

interface ScopeCase {
  role: Role
  /** Which claim scopes the query; `none` says (and the test checks) that it reads no symbol or shop data. */
  scope: 'symbols' | 'shops' | 'none'
  /** The Symbol or Shop parameter naming one entity, if the query has one. */
  param?: string
  /** It must be given (no "all I may see" call). */
  required?: boolean
  params: Record<string, string>
  /** For a query without `param`: the column naming each row's entity. */
  entityColumn?: string
}

const cases: Record<string, ScopeCase> = {
  candles: { role: 'trader', scope: 'symbols', param: 'symbol', required: true, params: { ...range, interval: '5m' } },
  trades: { role: 'trader', scope: 'symbols', param: 'symbol', required: true, params: { ...range, limit: '1000' } },
  symbol_stats: { role: 'trader', scope: 'symbols', param: 'symbol', params: trailing },
  top_movers: { role: 'trader', scope: 'symbols', params: { ...trailing, limit: '100' }, entityColumn: 'symbol' },
  category_breakdown: { role: 'seller', scope: 'shops', param: 'shop', params: range },
  customer_ltv: { role: 'seller', scope: 'shops', param: 'shop', params: {} },
  funnel: { role: 'seller', scope: 'shops', param: 'shop', params: range },
  product_performance: { role: 'seller', scope: 'shops', param: 'shop', params: range },
  profitability: { role: 'seller', scope: 'shops', param: 'shop', params: { ...range, interval: '1h' } },
  retention_cohorts: { role: 'seller', scope: 'shops', param: 'shop', params: {} },
  sales_overview: { role: 'seller', scope: 'shops', param: 'shop', params: range },
  sales_trend: { role: 'seller', scope: 'shops', param: 'shop', params: { ...range, interval: '1h' } },
  top_products: { role: 'seller', scope: 'shops', param: 'shop', params: { ...range, limit: '1000' } },
  dead_letters_summary: { role: 'admin', scope: 'none', params: range },
  // Insights (one shop each, required): the scope is the Shop parameter's check.
  bought_together: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { product_id: 'p1', period: '90d', as_of: asOf, min_orders: '1' } },
  customer_profile: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { customer_id: 'c1', as_of: asOf } },
  order_risk: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { ...range, min_score: '0', limit: '1000' } },
  product_demand: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { as_of: asOf, interval: '1h', history: '1d', horizon: '24' } },
  product_trend: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { product_id: 'p1', ...range, interval: '1h' } },
  revenue_forecast: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { as_of: asOf, interval: '1h', history: '28d' } },
  rfm_segments: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { as_of: asOf } },
  rfm_summary: { role: 'seller', scope: 'shops', param: 'shop', required: true, params: { as_of: asOf } },
}

const tokens: Record<string, string> = {}
const catalog = loadCatalog()

const file = gatewayForFile(noRateLimits, async (gw) => {
  const f = makeFixtures(base)
  await ingestStored(gw, { trades: f.trades, orders: f.orders, web_events: f.webEvents })
  tokens.admin = await tokenFor(['admin'])
  tokens.symbolsA = await tokenFor(['trader'], { symbols: [symbols.A], shops: [] })
  tokens.shopsA = await tokenFor(['seller'], { symbols: [], shops: [shops.A] })
  for (const r of ['trader', 'seller', 'analyst', 'ingest'] as const) tokens[r] = await tokenFor([r])
}, { timeoutMs: 300_000 })

async function call(name: string, params: Record<string, string>, token: string): Promise<{ status: number; code?: string; param?: string; rows?: Record<string, unknown>[] }> {
  const r = await fetch(`${file.gw.url}/api/v1/q/${name}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${token}` } })
  const body = (await r.json()) as { rows?: Record<string, unknown>[]; error?: { code: string; details?: { param?: string } } }
  return { status: r.status, code: body.error?.code, param: body.error?.details?.param, rows: body.rows }
}

describe('catalog scope on REST, every query', { timeout: 300_000 }, () => {
  it('has a scope case for every catalog query, and only for those', () => {
    expect(Object.keys(cases).sort()).toEqual([...catalog.keys()].sort())
  })

  it.each(Object.entries(cases))('%s', async (name, c) => {
    const q = catalog.get(name)!
    // The case says what the query's SQL and parameters say: a scope it does not bind is a wrong case.
    expect({ symbols: q.scopes.symbols || q.params.some((p) => p.type === 'Symbol'), shops: q.scopes.shops || q.params.some((p) => p.type === 'Shop') })
      .toEqual({ symbols: c.scope === 'symbols', shops: c.scope === 'shops' })
    expect(q.params.find((p) => p.type === 'Symbol' || p.type === 'Shop')?.name).toBe(c.param)

    // Roles: the query's own pass, every other is FORBIDDEN.
    const own = c.scope === 'none' ? tokens.admin : tokens[c.role]
    const withParam = (v: string) => (c.param ? { ...c.params, [c.param]: v } : c.params)
    const entity = c.scope === 'symbols' ? symbols : shops
    expect((await call(name, withParam(entity.A), own)).status).toBe(200)
    for (const r of ['trader', 'seller', 'analyst', 'ingest'] as const) {
      if (q.roles.includes(r)) continue
      expect([r, await call(name, withParam(entity.A), tokens[r])]).toMatchObject([r, { status: 403, code: 'FORBIDDEN' }])
    }
    if (c.scope === 'none') return

    const scoped = c.scope === 'symbols' ? tokens.symbolsA : tokens.shopsA
    const adminA = await call(name, withParam(entity.A), tokens.admin)
    if (c.param) {
      // The data tells A from B, so the checks below can fail.
      const adminB = await call(name, withParam(entity.B), tokens.admin)
      expect(adminA.rows!.length).toBeGreaterThan(0)
      expect(adminB.rows).not.toEqual(adminA.rows)
      // In scope: the same answer an admin gets for A. Out of scope: NOT_ENTITLED naming the parameter.
      expect((await call(name, withParam(entity.A), scoped)).rows).toEqual(adminA.rows)
      expect(await call(name, withParam(entity.B), scoped)).toMatchObject({ status: 403, code: 'NOT_ENTITLED', param: c.param })
      if (!c.required) {
        // No entity named: only what the token may see, which is A alone.
        const all = await call(name, c.params, tokens.admin)
        expect(all.rows).not.toEqual(adminA.rows)
        expect((await call(name, c.params, scoped)).rows).toEqual(adminA.rows)
      }
    } else {
      const all = await call(name, c.params, tokens.admin)
      const mine = await call(name, c.params, scoped)
      const seen = (rs: Record<string, unknown>[] | undefined) => [...new Set(rs!.map((r) => r[c.entityColumn!]))].sort()
      expect(seen(all.rows)).toEqual(expect.arrayContaining([entity.A, entity.B]))
      expect(seen(mine.rows)).toEqual([entity.A])
    }
  })
})
