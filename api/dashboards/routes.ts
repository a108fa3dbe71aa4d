import type { ClickHouseClient } from '@clickhouse/client'
import { Hono, type MiddlewareHandler } from 'hono'
import { type Auth } from '../auth.ts'
import { type Principal } from '../../core/roles.ts'
import * as access from '../access.ts'
import { AppError } from '../../core/errors.ts'
import type { CatalogQuery } from '../history/catalog.ts'
import { formatTime, isoFromClickHouse } from '../history/params.ts'
import { jsonBody, validJson } from '../http/json-body.ts'
import { requireRole, type AppEnv } from '../http/middleware.ts'
import type { RateLimits } from '../ratelimit/middleware.ts'
import { dashboardUpdate, type Dashboard, type DashboardInput } from './schema.ts'

export interface DashboardOptions {
  auth: Auth
  /** A writable connection (not the read-only `queries` session). */
  clickhouse: ClickHouseClient
  catalog: Map<string, CatalogQuery>
  maxBodyBytes?: number
  /** Request limits (per peer, per token); without them only authentication. */
  limits?: RateLimits
}

const dashboardRoles = access.surfaceRoles.dashboards

interface Row {
  id: string
  name: string
  widgets: string
  version: string
  created_at: string
  updated_at: string
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const notFound = (id: string) => new AppError(404, 'DASHBOARD_NOT_FOUND', `no dashboard ${id}`)

/** Per-user dashboards: CRUD under /api/v1/dashboards, stored in ClickHouse (ReplacingMergeTree). */
export function createDashboardRoutes(o: DashboardOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const ch = o.clickhouse
  let lastVersion = 0
  const nextVersion = () => (lastVersion = Math.max(lastVersion + 1, Date.now() * 1000))

  const load = async (owner: string, id?: string): Promise<Row[]> => {
    const rs = await ch.query({
      query: `SELECT id, name, widgets, toString(version) AS version, toString(created_at) AS created_at, toString(updated_at) AS updated_at
              FROM dashboards FINAL WHERE owner = {owner:String} ${id ? 'AND id = {id:UUID}' : ''} ORDER BY updated_at DESC, id`,
      query_params: { owner, id }, format: 'JSONEachRow',
    })
    return rs.json<Row>()
  }
  const write = (owner: string, d: Dashboard, deleted = 0) =>
    ch.insert({
      table: 'dashboards', format: 'JSONEachRow',
      values: [{
        owner, id: d.id, name: d.name, widgets: JSON.stringify(d.widgets), version: d.version, deleted,
        created_at: formatTime(Date.parse(d.createdAt)), updated_at: formatTime(Date.parse(d.updatedAt)),
      }],
    })
  // Read, version check and write of one dashboard run one at a time in this process:
  // two updates sent with the same version would otherwise both pass the check.
  const turns = new Map<string, Promise<unknown>>()
  const inTurn = <T>(owner: string, id: string, change: () => Promise<T>): Promise<T> => {
    const key = JSON.stringify([owner, id])
    const result = (turns.get(key) ?? Promise.resolve()).then(change)
    const settled = result.catch(() => undefined)
    turns.set(key, settled)
    void settled.then(() => turns.get(key) === settled && turns.delete(key))
    return result
  }
  /** What the schema cannot see: every widget names a catalog query its owner may run. */
  const checkWidgets = (input: DashboardInput, p: Principal) => {
    for (const w of input.widgets) {
      const q = o.catalog.get(w.query)
      if (!q) throw new AppError(400, 'INVALID_DASHBOARD', `widget ${w.id}: unknown catalog query ${w.query}`, { details: [{ path: `widgets.${w.id}.query` }] })
      // The same verdict the catalog gives when the widget runs: a saved widget must not promise what its owner may not see.
      const verdict = access.widget(p, q, w.params)
      if (!verdict.ok) {
        const param = verdict.details?.param
        access.enforce({ ...verdict, message: `widget ${w.id}: ${verdict.message}`, details: { ...verdict.details, path: param ? `widgets.${w.id}.params.${String(param)}` : `widgets.${w.id}.query` } })
      }
    }
  }
  const body = [
    jsonBody(o.maxBodyBytes ?? 256 * 1024),
    validJson(dashboardUpdate, (issues) => new AppError(400, 'INVALID_DASHBOARD', 'the dashboard is not valid', { details: issues.map((i) => ({ path: i.path.join('.'), message: i.message })) })),
  ] as const
  const toDashboard = (r: Row): Dashboard => ({
    id: r.id, name: r.name, widgets: JSON.parse(r.widgets), version: Number(r.version),
    createdAt: isoFromClickHouse(r.created_at), updatedAt: isoFromClickHouse(r.updated_at),
  })
  const checkId = (id: string) => {
    if (!uuid.test(id)) throw notFound(id)
    return id
  }
  // An id that cannot exist is 404 before its body is read (as it was when routes read bodies themselves).
  const knownId: MiddlewareHandler<AppEnv> = async (c, next) => (checkId(c.req.param('id') ?? ''), await next())

  const guard = o.limits ? o.limits.guard(o.auth, dashboardRoles) : requireRole(o.auth, dashboardRoles)
  app.use('/api/v1/dashboards', guard)
  app.use('/api/v1/dashboards/*', guard)

  app.get('/api/v1/dashboards', async (c) => {
    const rows = await load(c.get('principal').sub)
    return c.json({ dashboards: rows.map(toDashboard).map(({ widgets, ...d }) => ({ ...d, widgetCount: widgets.length })) })
  })
  app.post('/api/v1/dashboards', ...body, async (c) => {
    const p = c.get('principal')
    const input = c.req.valid('json')
    checkWidgets(input, p)
    const at = new Date().toISOString()
    const d = { id: crypto.randomUUID(), name: input.name, widgets: input.widgets, version: nextVersion(), createdAt: at, updatedAt: at }
    await write(p.sub, d)
    return c.json(d, 201)
  })
  app.get('/api/v1/dashboards/:id', async (c) => {
    const [row] = await load(c.get('principal').sub, checkId(c.req.param('id')))
    if (!row) throw notFound(c.req.param('id'))
    return c.json(toDashboard(row))
  })
  app.put('/api/v1/dashboards/:id', knownId, ...body, async (c) => {
    const p = c.get('principal')
    const id = checkId(c.req.param('id'))
    const input = c.req.valid('json')
    checkWidgets(input, p)
    const d = await inTurn(p.sub, id, async () => {
      const [row] = await load(p.sub, id)
      if (!row) throw notFound(id)
      if (input.version !== undefined && input.version !== Number(row.version)) {
        throw new AppError(409, 'VERSION_CONFLICT', 'the dashboard changed since you loaded it', { details: { version: Number(row.version) } })
      }
      const at = new Date().toISOString()
      const next = { id, name: input.name, widgets: input.widgets, version: nextVersion(), createdAt: toDashboard(row).createdAt, updatedAt: at }
      await write(p.sub, next)
      return next
    })
    return c.json(d)
  })
  app.delete('/api/v1/dashboards/:id', async (c) => {
    const p = c.get('principal')
    const id = checkId(c.req.param('id'))
    await inTurn(p.sub, id, async () => {
      const [row] = await load(p.sub, id)
      if (!row) throw notFound(id)
      await write(p.sub, { ...toDashboard(row), version: nextVersion() }, 1)
    })
    return c.body(null, 204)
  })
  return app
}
