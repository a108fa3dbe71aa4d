// The access module, table-driven: every live channel and every catalog query has an
// in-scope and an out-of-scope case here; a channel or query added without one fails.
import { describe, expect, it } from 'vitest'
import { isAppError } from '../core/errors.ts'
import { roles as allRoles, type Principal, type Role } from '../core/roles.ts'
import * as access from './access.ts'
import { loadCatalog } from './history/catalog.ts'
import { channels } from './live/channels.ts'
import { CloseCodes, ErrorCodes } from './protocol/index.ts'

const principal = (roles: Role[], symbols: string[] | '*' = [], shops: string[] | '*' = [], sub = 'u1'): Principal => ({
  sub, roles: new Set(roles), symbols: symbols === '*' ? '*' : new Set(symbols), shops: shops === '*' ? '*' : new Set(shops),
})
const code = (v: access.Verdict) => (v.ok ? 'ok' : v.code)

/** One row per live channel: who may watch it with these params, and who may not. */
const channelCases: Record<string, { params: Record<string, unknown>; role: Role; inScope: Principal; outOfScope: Principal }> = {
  candles: { params: { symbol: 'BTC-USD', interval: '1m' }, role: 'trader', inScope: principal(['trader'], ['BTC-USD']), outOfScope: principal(['trader'], ['ETH-USD']) },
  trades: { params: { symbol: 'BTC-USD' }, role: 'trader', inScope: principal(['trader'], ['BTC-USD', 'X']), outOfScope: principal(['trader'], ['ETH-USD']) },
  ticker: { params: { symbols: ['BTC-USD', 'ETH-USD'] }, role: 'trader', inScope: principal(['trader'], ['BTC-USD', 'ETH-USD']), outOfScope: principal(['trader'], ['BTC-USD']) },
  sales: { params: { shop: 'shop-1', interval: '1m' }, role: 'seller', inScope: principal(['seller'], [], ['shop-1']), outOfScope: principal(['seller'], [], ['shop-2']) },
  top_products: { params: { shop: 'shop-1', window: '24h', n: 10 }, role: 'seller', inScope: principal(['seller'], [], '*'), outOfScope: principal(['seller'], '*', []) },
  funnel: { params: { shop: 'shop-1' }, role: 'seller', inScope: principal(['seller'], [], ['shop-1']), outOfScope: principal(['seller'], [], ['shop-10']) },
  risk: { params: { shop: 'shop-1', min_score: 80 }, role: 'seller', inScope: principal(['seller'], [], ['shop-1']), outOfScope: principal(['seller'], [], ['shop-2']) },
}

describe('access: live channels', () => {
  it('has a rule and a scope case for every channel the gateway serves', () => {
    const served = [...channels.keys()].sort()
    expect(served.filter((c) => !Object.hasOwn(access.channelRules, c))).toEqual([])
    expect(served.filter((c) => !Object.hasOwn(channelCases, c))).toEqual([])
  })

  it.each(Object.entries(channelCases))('%s: in scope ok, out of scope NOT_ENTITLED, wrong role FORBIDDEN, admin ok', (kind, c) => {
    expect(code(access.channel(c.inScope, kind, c.params))).toBe('ok')
    expect(code(access.channel(c.outOfScope, kind, c.params))).toBe('NOT_ENTITLED')
    const others = allRoles.filter((r) => r !== c.role && r !== 'admin')
    for (const r of others) expect([r, code(access.channel(principal([r], '*', '*'), kind, c.params))]).toEqual([r, 'FORBIDDEN'])
    expect(code(access.channel(principal(['admin']), kind, c.params))).toBe('ok') // admin: every role, and (from its token) every symbol and shop
  })

  it.each(Object.entries(channelCases))('%s: the rule reads the parameters as the channel parses them (what the gateway passes)', (kind, c) => {
    const spec = channels.get(kind)!
    for (const p of [c.inScope, c.outOfScope, principal([c.role === 'trader' ? 'seller' : 'trader'], '*', '*')]) {
      const parsed = spec.parse(c.params, p) as Record<string, unknown>
      expect([kind, code(access.channel(p, kind, parsed))]).toEqual([kind, code(access.channel(p, kind, c.params))])
    }
  })

  it('ticker of every symbol needs a token scoped to every symbol', () => {
    expect(code(access.channel(principal(['trader'], '*'), 'ticker', { symbols: '*' }))).toBe('ok')
    expect(code(access.channel(principal(['trader'], ['BTC-USD']), 'ticker', { symbols: '*' }))).toBe('NOT_ENTITLED')
  })

  it('denies channels it has no rule for, and params that name nothing', () => {
    expect(code(access.channel(principal(['admin']), 'no_such_channel', {}))).toBe('FORBIDDEN')
    expect(code(access.channel(principal(['admin']), 'constructor', {}))).toBe('FORBIDDEN')
    expect(code(access.channel(principal(['trader'], '*'), 'candles', {}))).toBe('NOT_ENTITLED')
    expect(code(access.channel(principal(['seller'], [], '*'), 'sales', { shop: 42 }))).toBe('NOT_ENTITLED')
  })
})

describe('access: catalog queries', () => {
  const catalog = loadCatalog()
  const scoped = { Symbol: ['BTC-USD', 'ETH-USD'], Shop: ['shop-a', 'shop-b'] } as const

  it.each([...catalog.values()].map((q) => [q.name, q] as const))('%s: its roles pass, other roles are FORBIDDEN, a Symbol/Shop outside scope is NOT_ENTITLED', (_, q) => {
    const role = q.roles[0]
    expect(code(access.query(principal([role], '*', '*'), q))).toBe('ok')
    for (const r of allRoles.filter((x) => x !== 'admin' && !q.roles.includes(x))) expect([r, code(access.query(principal([r], '*', '*'), q))]).toEqual([r, 'FORBIDDEN'])
    for (const spec of q.params.filter((p) => p.type === 'Symbol' || p.type === 'Shop')) {
      const [inside, outside] = scoped[spec.type as 'Symbol' | 'Shop']
      const p = spec.type === 'Symbol' ? principal([role], [inside]) : principal([role], [], [inside])
      expect(code(access.query(p, q, { [spec.name]: inside }))).toBe('ok')
      const denied = access.query(p, q, { [spec.name]: outside })
      expect(denied).toMatchObject({ ok: false, code: 'NOT_ENTITLED', details: { param: spec.name } })
      expect(code(access.query(p, q, { [spec.name]: '' }))).toBe('ok') // empty = what the token may see; the SQL narrows it
    }
  })

  it('a dashboard widget is its query with its saved params', () => {
    const q = catalog.get('sales_trend')!
    expect(code(access.widget(principal(['seller'], [], ['shop-a']), q, { shop: 'shop-b' }))).toBe('NOT_ENTITLED')
    expect(code(access.widget(principal(['trader'], '*', '*'), q, {}))).toBe('FORBIDDEN')
  })
})

describe('access: alert rules', () => {
  const rule = { owner: 'u1', channel: 'candles', params: { symbol: 'BTC-USD', interval: '1m' } }
  it('only the owner, and only while the token may still watch the channel', () => {
    expect(code(access.alertRule(principal(['trader'], ['BTC-USD']), rule))).toBe('ok')
    expect(code(access.alertRule(principal(['trader'], ['BTC-USD'], [], 'u2'), rule))).toBe('FORBIDDEN')
    expect(code(access.alertRule(principal(['trader'], ['ETH-USD']), rule))).toBe('NOT_ENTITLED')
    expect(code(access.alertRule(principal(['seller'], '*', '*'), rule))).toBe('FORBIDDEN')
  })

  it('a fired alert: its rule, and the row it fired on within the scope of the token reading now', () => {
    const ticker = { owner: 'u1', channel: 'ticker', params: { symbols: ['BTC-USD', 'ETH-USD'] } }
    const wide = principal(['trader'], ['BTC-USD', 'ETH-USD'])
    expect(code(access.firedAlert(wide, { ...ticker, entity: { symbol: 'ETH-USD' } }))).toBe('ok')
    // A token of the same user narrowed to one symbol: the rule's channel is out of its scope now.
    expect(code(access.firedAlert(principal(['trader'], ['BTC-USD']), { ...ticker, entity: { symbol: 'BTC-USD' } }))).toBe('NOT_ENTITLED')
    // A row on a symbol the rule's params do not name (a ticker of every symbol) is judged by itself.
    const all = { owner: 'u1', channel: 'ticker', params: { symbols: '*' } }
    expect(code(access.firedAlert(principal(['trader'], '*'), { ...all, entity: { symbol: 'SOL-USD' } }))).toBe('ok')
    const sales = { owner: 'u1', channel: 'sales', params: { shop: 'shop-1', interval: '1m' } }
    expect(code(access.firedAlert(principal(['seller'], [], ['shop-1']), { ...sales, entity: { currency: 'EUR' } }))).toBe('ok')
    expect(code(access.firedAlert(principal(['seller'], [], ['shop-1']), { ...sales, entity: { shop: 'shop-2' } }))).toBe('NOT_ENTITLED')
    expect(code(access.firedAlert(principal(['trader'], '*', [], 'u2'), { ...ticker, entity: { symbol: 'BTC-USD' } }))).toBe('FORBIDDEN')
  })
})

describe('access: SQL port', () => {
  it('needs the analyst role; a scoped token needs an engine with row policies', () => {
    const unscoped = principal(['analyst'], '*', '*')
    const scoped = principal(['analyst'], ['BTC-USD'], '*')
    expect(code(access.sql(unscoped, { rowPolicies: false }))).toBe('ok')
    expect(code(access.sql(scoped, { rowPolicies: false }))).toBe('NOT_ENTITLED')
    expect(code(access.sql(scoped, { rowPolicies: true }))).toBe('ok')
    expect(code(access.sql(principal(['trader'], '*', '*'), { rowPolicies: true }))).toBe('FORBIDDEN')
    expect([access.sqlScope(unscoped), access.sqlScope(scoped)]).toEqual([undefined, { symbols: ['BTC-USD'], shops: '*' }])
    expect([access.isOperator(principal(['admin'])), access.isOperator(unscoped)]).toEqual([true, false])
  })

  it('tables: analysts read data tables, never Livehouse\'s own or unlisted system tables (FORBIDDEN); operators every table', () => {
    const analyst = principal(['analyst'], '*', '*')
    const admin = principal(['admin'])
    for (const [db, table] of [['default', 'trades'], ['default', 'candles_1m'], ['system', 'tables'], ['information_schema', 'columns']]) {
      expect([table, code(access.sqlTable(analyst, db, table))]).toEqual([table, 'ok'])
    }
    for (const [db, table] of [['default', 'dashboards'], ['default', 'alert_rules'], ['default', 'livehouse_migrations'], ['default', 'kafka_trades'], ['system', 'processes'], ['other', 'x']]) {
      expect([table, code(access.sqlTable(analyst, db, table)), code(access.sqlTable(admin, db, table))]).toEqual([table, 'FORBIDDEN', 'ok'])
    }
    expect(code(access.sqlTable({ operator: false }, 'default', 'dashboards'))).toBe('FORBIDDEN')
    expect(code(access.sqlTable({ operator: true }, 'default', 'dashboards'))).toBe('ok')
  })
})

describe('access: one code per denial on every surface', () => {
  it('throws the HTTP error for a denial and nothing for an allow', () => {
    expect(() => access.enforce({ ok: true })).not.toThrow()
    for (const c of ['FORBIDDEN', 'NOT_ENTITLED'] as const) {
      try {
        access.enforce({ ok: false, code: c, message: 'm', details: { x: 1 } })
        expect.unreachable()
      } catch (e) {
        expect(isAppError(e) && [e.status, e.code, e.details]).toEqual([403, c, { x: 1 }])
      }
    }
  })

  it('answers each denial on the WebSocket with its own protocol code, and closes for the token with codes of their own', () => {
    expect([access.denials.FORBIDDEN.ws, access.denials.NOT_ENTITLED.ws]).toEqual([ErrorCodes.FORBIDDEN, ErrorCodes.NOT_ENTITLED])
    expect(access.tokenCloseCodes).toEqual({ TOKEN_EXPIRED: CloseCodes.TOKEN_EXPIRED, TOKEN_REVOKED: CloseCodes.TOKEN_REVOKED })
    const errors = Object.values(ErrorCodes)
    const closes = Object.values(CloseCodes)
    expect(new Set(errors).size).toBe(errors.length)
    expect(new Set(closes).size).toBe(closes.length)
    expect(closes.filter((c) => (errors as number[]).includes(c))).toEqual([])
  })

  it('never renumbers a code: every number ever given keeps its meaning (append new ones here)', () => {
    // 4007 meant both denials before issue 13; a scope denial is 4014 since, and 4007 keeps "role".
    const given: Record<number, string> = {
      4000: 'BAD_FRAME', 4001: 'UNKNOWN_OP', 4002: 'BAD_ARGUMENT', 4003: 'FRAME_TOO_LARGE', 4004: 'RATE_LIMITED',
      4005: 'TOO_MANY_SUBSCRIPTIONS', 4006: 'UNKNOWN_CHANNEL', 4007: 'FORBIDDEN', 4008: 'ALREADY_SUBSCRIBED', 4009: 'NOT_SUBSCRIBED',
      4010: 'UNAVAILABLE', 4011: 'INTERNAL', 4012: 'TOO_MANY_CHANNELS', 4013: 'NEVER_SEEN', 4014: 'NOT_ENTITLED',
    }
    const closes: Record<number, string> = { 1001: 'SHUTDOWN', 1009: 'TOO_BIG', 4400: 'ABUSE', 4401: 'TOKEN_EXPIRED', 4403: 'TOKEN_REVOKED', 4408: 'TOO_SLOW' }
    expect(Object.fromEntries(Object.entries(ErrorCodes).map(([k, v]) => [v, k]))).toEqual(given)
    expect(Object.fromEntries(Object.entries(CloseCodes).map(([k, v]) => [v, k]))).toEqual(closes)
  })
})
