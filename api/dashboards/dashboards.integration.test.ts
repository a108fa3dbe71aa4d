import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { callApi, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'

const file = gatewayForFile()

const call = (method: string, path: string, token: string, body?: unknown) => callApi(file.gw, method, path, token, body)
const widget = { id: 'w1', type: 'line', query: 'sales_trend', params: { metric: 'revenue', interval: '1h' }, x: 0, y: 0, w: 6, h: 4 }

describe('dashboards', () => {
  it('creates, lists, loads, updates and deletes per user', async () => {
    const alice = await tokenFor(['seller'])
    const created = await call('POST', '/api/v1/dashboards', alice, { name: 'Sales', widgets: [widget] })
    expect(created.status).toBe(201)
    const id = created.body!.id as string
    expect((await call('GET', '/api/v1/dashboards', alice)).body!.dashboards.map((d: { id: string }) => d.id)).toEqual([id])
    const loaded = await call('GET', `/api/v1/dashboards/${id}`, alice)
    expect(loaded.body!.widgets, JSON.stringify(loaded)).toEqual([widget])
    expect(created.body!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect([loaded.body!.createdAt, loaded.body!.updatedAt]).toEqual([created.body!.createdAt, created.body!.createdAt]) // the millisecond survives the round trip
    const updated = await call('PUT', `/api/v1/dashboards/${id}`, alice, { name: 'Sales 2', widgets: [], version: created.body!.version })
    expect([updated.status, updated.body!.name, updated.body!.createdAt]).toEqual([200, 'Sales 2', created.body!.createdAt])
    const reloaded = await call('GET', `/api/v1/dashboards/${id}`, alice)
    expect([reloaded.body!.createdAt, reloaded.body!.updatedAt]).toEqual([created.body!.createdAt, updated.body!.updatedAt])
    expect((await call('PUT', `/api/v1/dashboards/${id}`, alice, { name: 'stale', version: created.body!.version })).body!.error.code).toBe('VERSION_CONFLICT')
    const bob = await tokenFor(['trader'])
    expect((await call('GET', `/api/v1/dashboards/${id}`, bob)).status).toBe(404) // another user's dashboard does not exist for bob
    expect((await call('DELETE', `/api/v1/dashboards/${id}`, alice)).status).toBe(204)
    expect((await call('GET', `/api/v1/dashboards/${id}`, alice)).status).toBe(404)
    expect((await call('GET', '/api/v1/dashboards', alice)).body!.dashboards).toEqual([])
  })

  it('of two updates sent at once with the same version, one wins and the other gets 409', async () => {
    const t = await tokenFor(['seller'])
    const created = await call('POST', '/api/v1/dashboards', t, { name: 'Race', widgets: [widget] })
    const id = created.body!.id as string
    const version = created.body!.version
    const both = await Promise.all(['A', 'B'].map((name) => call('PUT', `/api/v1/dashboards/${id}`, t, { name, widgets: [], version })))
    expect(both.map((r) => r.status).sort()).toEqual([200, 409])
    const winner = both.find((r) => r.status === 200)!.body!
    expect((await call('GET', `/api/v1/dashboards/${id}`, t)).body).toMatchObject({ name: winner.name, version: winner.version })
  })

  it('refuses a widget its owner may not run: the role as FORBIDDEN, a shop outside the token as NOT_ENTITLED (api/access.ts)', async () => {
    const t = await tokenFor(['seller'], { shops: ['shop-a'] })
    const role = await call('POST', '/api/v1/dashboards', t, { name: 'x', widgets: [{ ...widget, query: 'candles', params: { symbol: 'BTC-USD' } }] })
    expect([role.status, role.body!.error.code, role.body!.error.details.path]).toEqual([403, 'FORBIDDEN', 'widgets.w1.query'])
    const scope = await call('POST', '/api/v1/dashboards', t, { name: 'x', widgets: [{ ...widget, params: { ...widget.params, shop: 'shop-b' } }] })
    expect([scope.status, scope.body!.error.code, scope.body!.error.details]).toEqual([403, 'NOT_ENTITLED', { shop: 'shop-b', param: 'shop', path: 'widgets.w1.params.shop' }])
    const mine = await call('POST', '/api/v1/dashboards', t, { name: 'x', widgets: [{ ...widget, params: { ...widget.params, shop: 'shop-a' } }] })
    expect(mine.status).toBe(201)
    const created = await call('POST', '/api/v1/dashboards', t, { name: 'x', widgets: [widget] }) // no shop: every shop the token may see
    expect(created.status).toBe(201)
    const put = await call('PUT', `/api/v1/dashboards/${created.body!.id}`, t, { name: 'x', widgets: [{ ...widget, params: { shop: 'shop-z' } }] })
    expect([put.status, put.body!.error.code]).toEqual([403, 'NOT_ENTITLED'])
  })

  it('refuses unauthenticated, malformed and invalid dashboards', async () => {
    const t = await tokenFor(['seller'])
    expect((await fetch(`${file.gw.url}/api/v1/dashboards`)).status).toBe(401)
    expect((await call('GET', '/api/v1/dashboards', await tokenFor(['ingest']))).status).toBe(403)
    const r = await fetch(`${file.gw.url}/api/v1/dashboards`, { method: 'POST', headers: { authorization: `Bearer ${t}` }, body: '{nope' })
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([400, 'MALFORMED_JSON'])
    const huge = await call('POST', '/api/v1/dashboards', t, { name: 'x'.repeat(300 * 1024), widgets: [] })
    expect([huge.status, huge.body!.error.code]).toEqual([413, 'BODY_TOO_LARGE'])
    const missing = await call('GET', `/api/v1/dashboards/${crypto.randomUUID()}`, t)
    expect([missing.status, missing.body!.error.code]).toEqual([404, 'DASHBOARD_NOT_FOUND'])
    expect((await call('POST', '/api/v1/dashboards', t, { name: '', widgets: [] })).body!.error.code).toBe('INVALID_DASHBOARD')
    expect((await call('POST', '/api/v1/dashboards', t, { name: 'x', widgets: [{ ...widget, query: 'no_such_query' }] })).body!.error.code).toBe('INVALID_DASHBOARD')
    expect((await call('POST', '/api/v1/dashboards', t, { name: 'x', widgets: Array.from({ length: 51 }, (_, i) => ({ ...widget, id: `w${i}` })) })).status).toBe(400)
    expect((await call('GET', "/api/v1/dashboards/' OR 1=1 --", t)).status).toBe(404)
  })
  it('answers hostile bodies with a clear error each, and the next request is served', async () => {
    const t = await tokenFor(['seller'])
    const post = async (body: string | Uint8Array, headers: Record<string, string> = {}) => {
      const r = await fetch(`${file.gw.url}/api/v1/dashboards`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', ...headers }, body: body as BodyInit })
      const json = (await r.json()) as { error?: { code: string; details?: unknown } }
      const details = json.error?.details
      return { status: r.status, code: json.error?.code, paths: Array.isArray(details) ? details.map((d: { path: string }) => d.path) : undefined }
    }
    expect(await post(JSON.stringify({ name: 'x'.repeat(10 * 1024 * 1024), widgets: [] }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    expect(await post(gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' })).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    for (const garbage of ['{"name": "x", ', '\u0000\u00ff\ufffe', '']) expect(await post(garbage), garbage).toMatchObject({ status: 400, code: 'MALFORMED_JSON' })
    for (const body of ['[]', '"dashboard"', 'null', '42']) expect(await post(body), body).toMatchObject({ status: 400, code: 'INVALID_DASHBOARD' })
    const wrong = await post(JSON.stringify({ name: 42, widgets: [{ ...widget, x: 'left', params: { metric: ['revenue'] } }] }))
    expect([wrong.status, wrong.code, [...(wrong.paths ?? [])].sort()]).toEqual([400, 'INVALID_DASHBOARD', ['name', 'widgets.0.params.metric', 'widgets.0.x']])
    expect(await post('['.repeat(100_000) + ']'.repeat(100_000))).toMatchObject({ status: 400, code: 'INVALID_DASHBOARD' })
    let deep = '"v"'
    for (let i = 0; i < 20_000; i++) deep = `{"a":${deep}}`
    expect(await post(`{"name":"deep","widgets":[${JSON.stringify({ ...widget, params: {} }).replace('"params":{}', `"params":${deep}`)}]}`)).toMatchObject({ status: 400, code: 'INVALID_DASHBOARD' })
    expect((await call('POST', '/api/v1/dashboards', t, { name: 'after the hostile ones', widgets: [widget] })).status).toBe(201)
  })
})
