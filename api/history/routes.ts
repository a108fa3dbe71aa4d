import { Hono } from 'hono'
import { type Auth } from '../auth.ts'
import type { Principal } from '../../core/roles.ts'
import * as access from '../access.ts'
import type { Cache } from '../cache/cache.ts'
import type { DataVersions } from '../cache/versions.ts'
import { createLru } from '../cache/lru.ts'
import { AppError } from '../../core/errors.ts'
import { authenticate, checkRole, type AppEnv } from '../http/middleware.ts'
import { bytesBody } from '../http/raw-body.ts'
import { encodedBody } from '../http/compression.ts'
import type { RateLimiter } from '../ratelimit/ratelimit.ts'
import { createRateLimits } from '../ratelimit/middleware.ts'
import type { CatalogQuery } from './catalog.ts'
import { contentTypes, negotiate, toCsv, toMsgpack, type Format, type QueryResult } from './formats.ts'
import { buildOpenApi } from './openapi.ts'
import { catalogSettings, executeCatalogQuery } from './execute.ts'
import type { QueryClient } from '../clickhouse/pool.ts'
import { resolveCall, type ResolvedCall } from './params.ts'

export interface HistoryOptions {
  auth: Auth
  catalog: Map<string, CatalogQuery>
  /** The `queries` workload's client or pool of clients (api/clickhouse/pool.ts; read-only sessions). */
  clickhouse: QueryClient
  cache: Cache
  limiter: RateLimiter
  limits: { perTokenPerS: number; perIpPerS: number }
  /** Data versions (api/cache/versions.ts): without them a cached answer lives its full TTL whatever is written. */
  versions?: DataVersions
  /** max_execution_time of catalog queries (QUERY_TIMEOUT above it). */
  queryTimeoutS?: number
  /** max_threads of each catalog query (execute.ts catalogThreads); unset: the engine's default. */
  queryThreads?: number
  now?: () => number
}

/** GET /api/v1/q, /api/v1/q/{name}, /api/v1/openapi.json. */
export function createHistoryRoutes(o: HistoryOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const now = o.now ?? Date.now
  const settings = catalogSettings(o.queryTimeoutS ?? 30, o.queryThreads)
  const openapi = new TextEncoder().encode(JSON.stringify(buildOpenApi(o.catalog)))
  /** The OpenAPI document compressed per encoding, once (it never changes while the process runs). */
  const openapiEncoded = new Map<string, Uint8Array>()
  // Resolved calls by query, raw query string and caller scope, reused while their time
  // buckets hold: a dashboard repeats the same requests, and resolving (parsing, hashing)
  // was a large part of a cached answer.
  const calls = createLru<ResolvedCall>(10_000, now)
  const scopeIds = new WeakMap<Principal, string>()
  const scopeId = (p: Principal) => {
    let id = scopeIds.get(p)
    if (id === undefined) scopeIds.set(p, (id = JSON.stringify([[...p.roles].sort(), p.symbols === '*' ? '*' : [...p.symbols].sort(), p.shops === '*' ? '*' : [...p.shops].sort()])))
    return id
  }
  const resolve = (q: CatalogQuery, url: string, principal: Principal, input: () => Record<string, string>): ResolvedCall => {
    const t = now()
    const qi = url.indexOf('?')
    const memoKey = `${q.name}${qi < 0 ? '' : url.slice(qi)}#${scopeId(principal)}`
    const known = calls.get(memoKey)
    if (known && t >= known.validFromMs && t < known.validUntilMs) return known
    const call = resolveCall(q, input(), principal, t)
    calls.set(memoKey, call, call.validUntilMs - t)
    return call
  }

  const authenticated = authenticate(o.auth)
  const { byIp, byToken } = createRateLimits(o.limiter, o.limits)

  app.get('/api/v1/openapi.json', (c) => {
    const { bytes, headers } = encodedBody(openapi, c.req.header('accept-encoding'), openapiEncoded, 'once')
    return bytesBody(c, bytes, 200, { ...headers, 'content-type': contentTypes.json })
  })

  const listing = [...o.catalog.values()].map((q) => ({
    roles: q.roles,
    entry: {
      name: q.name, path: `/api/v1/q/${q.name}`, description: q.description, roles: q.roles,
      params: q.params.map(({ name, type, required, default: def, min, max, step, values, description }) => ({ name, type, required, default: def, min, max, step, values, description })),
      cache: { openTtlS: q.cache.openTtlS, closedTtlS: q.cache.closedTtlS },
    },
  }))
  app.get('/api/v1/q', byIp, authenticated, byToken, (c) => {
    const p = c.get('principal')
    const json = utf8.encode(JSON.stringify({ queries: listing.filter((q) => access.role(p, q.roles).ok).map((q) => q.entry) }))
    const { bytes, headers } = encodedBody(json, c.req.header('accept-encoding'))
    return bytesBody(c, bytes, 200, { ...headers, 'content-type': contentTypes.json })
  })

  app.get('/api/v1/q/:name', byIp, authenticated, byToken, async (c) => {
    const q = o.catalog.get(c.req.param('name'))
    if (!q) throw new AppError(404, 'UNKNOWN_QUERY', `no catalog query named ${c.req.param('name')}`)
    const principal = c.get('principal')
    checkRole(principal, q.roles)
    const format = negotiate(c.req.header('accept'), c.req.query('format'))
    if (!format) throw new AppError(400, 'INVALID_PARAMETER', 'format: expected json, csv or msgpack', { details: { param: 'format' } })
    const call = resolve(q, c.req.url, principal, () => c.req.query())
    let loaded: QueryResult | undefined // this request ran the query: encode from it rather than re-parse its text
    // A closed range carries the versions of the days it covers: a late row in one of them changes
    // its key. A range over the open bucket lives open_ttl (≤ 5 s) anyway; versions there would
    // re-key it on every write (measured: the dashboard mix's hit ratio halved under ingestion).
    const key = o.versions && call.closed ? `${call.key}~${o.versions.tag(q.sources, call.covers)}` : call.key
    const { value, views, outcome } = await o.cache.get(key, call.ttlS, async () => JSON.stringify((loaded = await executeCatalogQuery(o.clickhouse, q, call.bound, settings))))
    const headers: Record<string, string> = { 'x-cache': outcome, 'cache-control': `private, max-age=${call.ttlS}`, 'content-type': contentTypes[format] }
    if (format === 'csv') headers['content-disposition'] = `attachment; filename="${q.name}.csv"`
    // Encoded (and compressed, per accepted encoding) once per cached result and format; an L1 hit re-sends the same bytes.
    let plain = views.get(format)
    if (!plain) views.set(format, (plain = encode(format, value, loaded)))
    const { bytes, headers: encoding } = encodedBody(plain, c.req.header('accept-encoding'), views, 'answer', `${format}.`)
    return bytesBody(c, bytes, 200, { ...headers, ...encoding })
  })
  return app
}

const utf8 = new TextEncoder()

function encode(format: Format, value: string, parsed?: QueryResult): Uint8Array {
  if (format === 'json') return utf8.encode(value)
  const result = parsed ?? (JSON.parse(value) as QueryResult)
  // msgpackr packs into a buffer it reuses: keep a copy of our own.
  return format === 'csv' ? utf8.encode(toCsv(result)) : new Uint8Array(toMsgpack(result))
}
