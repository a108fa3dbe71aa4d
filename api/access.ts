// The one access model (docs/auth.md, "Scope on each surface"): may this principal see this
// symbol, shop, live channel, catalog query, alert rule, dashboard or the SQL port? Every
// surface asks here, so a denial is the same everywhere: a missing role is FORBIDDEN, a
// symbol or shop outside the token's claims is NOT_ENTITLED. Pure functions of the
// principal and the thing asked about; revocation and expiry are api/auth.ts's.
import { AppError } from '../core/errors.ts'
import { hasRole, mayAccess, type Principal, type Role } from '../core/roles.ts'
import { CloseCodes, ErrorCodes } from './protocol/index.ts'
import { tableRefusal } from './sql/tables.ts'

export type DenialCode = 'FORBIDDEN' | 'NOT_ENTITLED'

/**
 * Each denial on each surface. Numbers are never reused: 4007 was FORBIDDEN for both
 * causes on the WebSocket before; a scope denial there is now 4014 NOT_ENTITLED. The SQL
 * port answers as ClickHouse does (497 ACCESS_DENIED) and names the code in its message.
 */
export const denials: Record<DenialCode, { status: 403; ws: number; clickhouse: 497 }> = {
  FORBIDDEN: { status: 403, ws: ErrorCodes.FORBIDDEN, clickhouse: 497 },
  NOT_ENTITLED: { status: 403, ws: ErrorCodes.NOT_ENTITLED, clickhouse: 497 },
}

/**
 * WebSocket close codes when the token stops being valid while the socket is open
 * (docs/auth.md): 4401 at `exp` (get a fresh token, reconnect and resume), 4403 when
 * revoked (do not reconnect with this token). SSE streams simply end.
 */
export const tokenCloseCodes = { TOKEN_EXPIRED: CloseCodes.TOKEN_EXPIRED, TOKEN_REVOKED: CloseCodes.TOKEN_REVOKED } as const

export type Verdict =
  | { ok: true }
  | { ok: false; code: DenialCode; message: string; details?: Record<string, unknown> }

const allow: Verdict = { ok: true }
const deny = (code: DenialCode, message: string, details?: Record<string, unknown>): Verdict => ({ ok: false, code, message, ...(details ? { details } : {}) })

/** The verdict as the HTTP error (403 with its code); nothing when allowed. */
export function enforce(v: Verdict): void {
  if (!v.ok) throw new AppError(403, v.code === 'FORBIDDEN' ? 'FORBIDDEN' : 'NOT_ENTITLED', v.message, v.details ? { details: v.details } : {})
}

/** Every verdict of `vs` must allow; the first denial wins. */
export const all = (...vs: Verdict[]): Verdict => vs.find((v) => !v.ok) ?? allow

/** Roles each surface needs (admin passes every check). */
export const surfaceRoles = {
  market: ['trader'],
  shops: ['seller'],
  live: ['trader', 'seller'],
  alerts: ['trader', 'seller'],
  dashboards: ['trader', 'seller', 'analyst'],
  sql: ['analyst'],
  ingest: ['ingest'],
  operator: ['admin'],
} as const satisfies Record<string, readonly Role[]>

export function role(p: Principal, allowed: readonly Role[]): Verdict {
  return hasRole(p, allowed) ? allow : deny('FORBIDDEN', `this needs one of the roles: ${allowed.join(', ')}`, { roles: [...allowed] })
}

/** Admin sees every symbol and shop (api/auth/claims.ts gives its tokens `*` too; this holds for any Principal). */
const everything = (p: Principal) => p.roles.has('admin')

export function symbol(p: Principal, s: string): Verdict {
  return everything(p) || mayAccess(p.symbols, s) ? allow : deny('NOT_ENTITLED', `you are not entitled to symbol ${s}`, { symbol: s })
}

export function shop(p: Principal, s: string): Verdict {
  return everything(p) || mayAccess(p.shops, s) ? allow : deny('NOT_ENTITLED', `you are not entitled to shop ${s}`, { shop: s })
}

/** Every symbol at once (a ticker of all symbols): only a token whose scope is `*`. */
export function allSymbols(p: Principal): Verdict {
  return everything(p) || p.symbols === '*' ? allow : deny('NOT_ENTITLED', 'you are not entitled to every symbol', { symbol: '*' })
}

// ---- Live channels -------------------------------------------------------------------

/** What a channel's parameters name, as the access model sees them. */
interface ChannelRule {
  roles: readonly Role[]
  check(p: Principal, params: Record<string, unknown>): Verdict
}

const oneSymbol: ChannelRule['check'] = (p, params) => (typeof params.symbol === 'string' ? symbol(p, params.symbol) : deny('NOT_ENTITLED', 'no symbol named'))
const oneShop: ChannelRule['check'] = (p, params) => (typeof params.shop === 'string' ? shop(p, params.shop) : deny('NOT_ENTITLED', 'no shop named'))

/**
 * Every live channel kind (api/live/channels.ts) and what it needs. A channel missing here
 * is denied; a test fails when a channel of the gateway has no row here or no scope case.
 * `params` are the channel's parsed parameters (ticker: `symbols` is a list or '*').
 */
export const channelRules: Readonly<Record<string, ChannelRule>> = {
  candles: { roles: surfaceRoles.market, check: oneSymbol },
  trades: { roles: surfaceRoles.market, check: oneSymbol },
  ticker: {
    roles: surfaceRoles.market,
    check: (p, params) => {
      const list = params.symbols
      if (list === '*') return allSymbols(p)
      if (!Array.isArray(list)) return deny('NOT_ENTITLED', 'no symbols named')
      return all(...list.map((s) => symbol(p, String(s))))
    },
  },
  sales: { roles: surfaceRoles.shops, check: oneShop },
  top_products: { roles: surfaceRoles.shops, check: oneShop },
  funnel: { roles: surfaceRoles.shops, check: oneShop },
  risk: { roles: surfaceRoles.shops, check: oneShop },
  // A token's own fired alerts; each alert is then filtered by alertRule (below).
  alerts: { roles: surfaceRoles.alerts, check: () => allow },
}

export function channel(p: Principal, kind: string, params: Record<string, unknown>): Verdict {
  const rule = Object.hasOwn(channelRules, kind) ? channelRules[kind] : undefined
  if (!rule) return deny('FORBIDDEN', `no access rule for channel ${kind}`, { channel: kind })
  return all(role(p, rule.roles), rule.check(p, params))
}

// ---- Catalog queries (REST) -------------------------------------------------------------

/** The part of a catalog entry (api/history/catalog.ts) access looks at. */
export interface QueryAccess {
  name: string
  roles: readonly Role[]
  params: readonly { name: string; type: string }[]
}

/**
 * A catalog call: the query's roles, then every Symbol or Shop parameter given (an empty
 * one means "all I may see", which the SQL narrows to the token's scope).
 */
export function query(p: Principal, q: QueryAccess, values: Record<string, unknown> = {}): Verdict {
  const byRole = role(p, q.roles)
  if (!byRole.ok) return byRole
  for (const spec of q.params) {
    const v = values[spec.name]
    if (typeof v !== 'string' || v === '') continue
    const verdict = spec.type === 'Symbol' ? symbol(p, v) : spec.type === 'Shop' ? shop(p, v) : allow
    if (!verdict.ok) return { ...verdict, details: { ...verdict.details, param: spec.name } }
  }
  return allow
}

// ---- Alert rules, dashboards ---------------------------------------------------------------

/** An alert rule, or a fired alert of one: its owner and the channel it watches. */
export interface RuleAccess {
  owner: string
  channel: string
  params: Record<string, unknown>
}

/**
 * Reading, changing or being told about a rule: only its owner (another user's rule does
 * not exist for you: NOT_FOUND is the surface's answer for `owner` mismatches), and only
 * while the token may still watch the rule's channel.
 */
export function alertRule(p: Principal, r: RuleAccess): Verdict {
  if (r.owner !== p.sub) return deny('FORBIDDEN', 'this rule belongs to someone else', { owner: false })
  return channel(p, r.channel, r.params)
}

/**
 * A fired alert, to a stream of the token reading now (SSE, the WebSocket `alerts` channel,
 * the history): its rule as above, and the row it fired on (a ticker rule of several symbols
 * fires per symbol) within the token's scope.
 */
export function firedAlert(p: Principal, a: RuleAccess & { entity: Record<string, unknown> }): Verdict {
  const { symbol: s, shop: sh } = a.entity
  return all(alertRule(p, a), typeof s === 'string' ? symbol(p, s) : allow, typeof sh === 'string' ? shop(p, sh) : allow)
}

/** A dashboard widget: the catalog query it runs with its saved parameters. */
export function widget(p: Principal, q: QueryAccess, params: Record<string, unknown>): Verdict {
  return query(p, q, params)
}

// ---- SQL port --------------------------------------------------------------------------------

/** The rows a scoped analyst may read, for row policies; undefined when the token sees everything. */
export interface SqlScope {
  symbols: '*' | string[]
  shops: '*' | string[]
}

export function sqlScope(p: Principal): SqlScope | undefined {
  if (everything(p) || (p.symbols === '*' && p.shops === '*')) return undefined
  const list = (s: Principal['symbols']) => (s === '*' ? ('*' as const) : [...s].sort())
  return { symbols: list(p.symbols), shops: list(p.shops) }
}

/**
 * Connecting to the SQL port: the analyst role, and for a scoped token an engine that can
 * narrow rows to it (ClickHouse row policies on a server; embedded chDB has none, so a
 * scoped token is refused there rather than shown every row).
 */
export function sql(p: Principal, engine: { rowPolicies: boolean }): Verdict {
  const byRole = role(p, surfaceRoles.sql)
  if (!byRole.ok) return byRole
  if (sqlScope(p) && !engine.rowPolicies) {
    return deny('NOT_ENTITLED',
      'this token is scoped to some symbols or shops, and the embedded engine has no row policies to show only those rows; ' +
      'use the REST API, or a token with symbols and shops "*", or a deployment with a ClickHouse server and CLICKHOUSE_ANALYST_SCOPED_USER (deploy/clickhouse/users.xml)',
      { reason: 'row-policies' })
  }
  return allow
}

/** Operators (admin) read every table on the SQL port; analysts only what is not internal. */
export const isOperator = (p: Principal) => p.roles.has('admin')

/**
 * A table on the SQL port (the statement gate asks for every table a statement names):
 * operators read every one; analysts the data tables and the system tables a schema browser
 * needs, never Livehouse's own (the lists, with why each is refused, are api/sql/tables.ts).
 * The gate judges statements without the principal (its verdicts are cached per kind of
 * caller), hence `{ operator }` as well as a principal.
 */
export function sqlTable(who: Principal | { operator: boolean }, db: string, table: string): Verdict {
  const why = tableRefusal(db, table, 'operator' in who ? who.operator : isOperator(who))
  return why ? deny('FORBIDDEN', why, { table: `${db}.${table}` }) : allow
}
