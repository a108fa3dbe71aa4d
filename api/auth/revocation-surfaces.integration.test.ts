// A revoked token on every surface that authenticates per request or per connection: REST,
// the WebSocket upgrade (verified synchronously), the analysts' SQL port and its /api/v1/sql
// proxy. Each refuses it right after the revocation, on the same gateway.
import { describe, expect, it } from 'vitest'
import { auth, callApi, ingest, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, noRateLimits, withSqlPort } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { eventually } from '../../test/support/eventually.ts'
import { openSse } from '../../test/support/sse-client.ts'
import { C, CloseCodes, S } from '../protocol/index.ts'

const file = gatewayForFile(withSqlPort(noRateLimits))

const sql = (token: string) => fetch(`${file.sqlUrl}/?query=${encodeURIComponent('SELECT 1')}`, { headers: { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': token } })
const proxied = (token: string) => fetch(`${file.gw.url}/api/v1/sql`, { method: 'POST', body: 'SELECT 1', headers: { authorization: `Bearer ${token}` } })
const upgrade = (token: string) => LiveClient.connect(file.gw.url, { token }).then((c) => (c.close(), 'open'), (e: { status?: number }) => e.status)

describe('a revoked token, every surface', { timeout: 120_000 }, () => {
  it('is served before and refused right after the revocation', async () => {
    const admin = await tokenFor(['admin'])
    const victim = await tokenFor(['trader', 'analyst'])
    expect((await sql(victim)).status).toBe(200)
    expect((await proxied(victim)).status).toBe(200)
    expect(await upgrade(victim)).toBe('open')
    expect((await fetch(`${file.gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${victim}` } })).status).toBe(200)

    const r = await fetch(`${file.gw.url}/api/v1/auth/revoke`, { method: 'POST', body: JSON.stringify({ token: victim }), headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } })
    expect(r.status).toBe(200)

    const rest = await fetch(`${file.gw.url}/api/v1/dashboards`, { headers: { authorization: `Bearer ${victim}` } })
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

/** Resolves with the close code once the socket is closed. */
const closed = (c: LiveClient) => new Promise<number>((resolve) => (c.closeCode !== undefined ? resolve(c.closeCode) : c.ws.once('close', (code: number) => resolve(code))))

const revoke = async (token: string) => {
  const r = await fetch(`${file.gw.url}/api/v1/auth/revoke`, { method: 'POST', body: JSON.stringify({ token }), headers: { authorization: `Bearer ${await tokenFor(['admin'])}`, 'content-type': 'application/json' } })
  expect(r.status).toBe(200)
}

describe('a live WebSocket whose token stops being valid', { timeout: 120_000 }, () => {
  it('is closed with 4403 TOKEN_REVOKED inside the revocation itself; other connections stay', async () => {
    const victim = await LiveClient.connect(file.gw.url, { token: await tokenFor(['trader']) })
    const bystander = await LiveClient.connect(file.gw.url, { token: await tokenFor(['trader']) })
    const victimToken = await tokenFor(['seller'])
    const socket = await LiveClient.connect(file.gw.url, { token: victimToken })
    const ended = closed(socket)
    const watched = file.gw.tokenWatch.size()
    await revoke(victimToken)
    // Unwatched (its close handler ran) before the admin's answer was even sent: within the same tick.
    expect(file.gw.tokenWatch.size()).toBe(watched - 1)
    expect(await ended).toBe(CloseCodes.TOKEN_REVOKED)
    for (const c of [victim, bystander]) {
      c.send({ op: C.PING, id: 7 })
      await eventually(() => expect(c.frames.some((f) => f.type === S.PONG)).toBe(true))
      expect(c.closeCode).toBeUndefined()
      c.close()
    }
  })

  it('is closed with 4401 TOKEN_EXPIRED once the token reaches exp', async () => {
    const socket = await LiveClient.connect(file.gw.url, { token: await tokenFor(['trader'], {}, '3s') })
    // Whatever the machine's speed: a token already past exp when the socket opens is closed at once, with the same code.
    expect(await closed(socket)).toBe(CloseCodes.TOKEN_EXPIRED)
  })
})

describe('an alerts stream (SSE) whose token stops being valid', { timeout: 120_000 }, () => {
  const stream = (token: string) => openSse(`${file.gw.url}/api/v1/alerts/stream`, { token })

  it('ends inside the revocation itself, and the same token cannot open it again; other streams stay', async () => {
    const victimToken = await tokenFor(['trader'])
    const bystander = await stream(await tokenFor(['seller']))
    const victim = await stream(victimToken)
    expect([victim.status, bystander.status]).toEqual([200, 200])
    let ended = false
    void victim.closed.then(() => (ended = true))
    const watched = file.gw.tokenWatch.size()
    await revoke(victimToken)
    // Unwatched before the admin's answer was sent, and only this one: the bystander's stream is still watched.
    expect(file.gw.tokenWatch.size()).toBe(watched - 1)
    await victim.closed
    expect(ended).toBe(true)
    expect((await stream(victimToken)).status).toBe(401)
    bystander.close()
    await eventually(() => expect(file.gw.tokenWatch.size()).toBe(watched - 2))
  })

  it('ends once the token reaches exp', async () => {
    // 10 s: signed and the stream opened well before exp even on a loaded machine (a 3 s token
    // could expire first, and the stream would be refused with 401 instead of ending).
    const s = await stream(await tokenFor(['trader'], {}, '10s'))
    expect(s.status).toBe(200)
    // Resolves only when the server ends the body (the client never aborts it here): else the test times out.
    await s.closed
    expect(s.events.filter((e) => e.event === 'alert')).toEqual([])
  })
})

describe('alert rules saved with a token revoked since', { timeout: 120_000 }, () => {
  const call = async (method: string, path: string, token: string, body?: unknown) => (await callApi(file.gw, method, path, token, body)).body!
  let lastTs = 0
  const trade = (symbol: string, price: number) => ({ id: crypto.randomUUID(), ts: (lastTs = Math.max(lastTs + 1, Date.now())), symbol, price, qty: 1, side: 'buy' })
  const tapeRule = (symbol: string) => ({ name: `${symbol} above 100`, channel: 'trades', params: { symbol }, condition: { column: 'price', op: '>', value: 100 }, cooldown_s: 0 })

  it('stop firing, while the same user\'s rule saved with a live token fires on the same trade', async () => {
    const sub = `revoked-rules-${process.pid}`
    const sign = () => auth.sign({ sub, roles: ['trader'], symbols: ['REV-A'], shops: [] }, '1h')
    const [saving, current] = [await sign(), await sign()]
    expect((await ingest(file.gw, 'trades', [trade('REV-A', 90)])).status).toBe(200)
    const victim = await call('POST', '/api/v1/alerts/rules', saving, tapeRule('REV-A'))
    const control = await call('POST', '/api/v1/alerts/rules', current, tapeRule('REV-A'))
    expect([victim.id, control.id].every((id) => typeof id === 'string')).toBe(true)
    await revoke(saving)
    expect((await ingest(file.gw, 'trades', [trade('REV-A', 150)])).status).toBe(200)
    // Both rules watch the same tape: once the control rule's alert is recorded, the other saw the crossing too.
    await eventually(async () => expect((await call('GET', `/api/v1/alerts/history?rule=${control.id}`, current)).alerts).toHaveLength(1), { timeoutMs: 30_000 })
    expect((await call('GET', `/api/v1/alerts/history?rule=${victim.id}`, current)).alerts).toEqual([])
  })
})
