// A revoked token on every surface that authenticates per request or per connection: REST,
// the WebSocket upgrade (verified synchronously), the analysts' SQL port and its /api/v1/sql
// proxy. Each refuses it right after the revocation, on the same gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInProcess, tokenFor } from '../../test/support/gateway.ts'
import { getFreePort } from '../../test/support/ports.ts'
import { LiveClient } from '../../test/support/live-client.ts'

let gw: Awaited<ReturnType<typeof startInProcess>>
let sqlUrl: string
beforeAll(async () => {
  gw = await startInProcess({ SQL_PORT: String(await getFreePort()), RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0' })
  sqlUrl = gw.sqlUrl!.replace('localhost', '127.0.0.1')
}, 120_000)
afterAll(async () => gw?.stop())

const sql = (token: string) => fetch(`${sqlUrl}/?query=${encodeURIComponent('SELECT 1')}`, { headers: { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': token } })
const proxied = (token: string) => fetch(`${gw.url}/api/v1/sql`, { method: 'POST', body: 'SELECT 1', headers: { authorization: `Bearer ${token}` } })
const upgrade = (token: string) => LiveClient.connect(gw.url, { token }).then((c) => (c.close(), 'open'), (e: { status?: number }) => e.status)

describe('a revoked token, every surface', { timeout: 120_000 }, () => {
  it('is served before and refused right after the revocation', async () => {
    const admin = await tokenFor(['admin'])
    const victim = await tokenFor(['trader', 'analyst'])
    expect((await sql(victim)).status).toBe(200)
    expect((await proxied(victim)).status).toBe(200)
    expect(await upgrade(victim)).toBe('open')
    expect((await fetch(`${gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${victim}` } })).status).toBe(200)

    const r = await fetch(`${gw.url}/api/v1/auth/revoke`, { method: 'POST', body: JSON.stringify({ token: victim }), headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } })
    expect(r.status).toBe(200)

    const rest = await fetch(`${gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${victim}` } })
    expect([rest.status, ((await rest.json()) as { error: { code: string } }).error.code]).toEqual([401, 'TOKEN_REVOKED'])
    expect(await upgrade(victim)).toBe(401)
    const port = await sql(victim)
    expect([port.status, port.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']) // ClickHouse's AUTHENTICATION_FAILED
    expect((await proxied(victim)).status).toBe(403)
    // Other tokens are untouched.
    expect((await sql(await tokenFor(['analyst']))).status).toBe(200)
    expect(await upgrade(await tokenFor(['trader']))).toBe('open')
  })
})
