// Alert rules' scope on the real gateway, table-driven: a rule on every channel the gateway
// serves is saved with an in-scope token (201), refused NOT_ENTITLED with an out-of-scope one
// and FORBIDDEN with a token of the other role, the same answers a WebSocket SUBSCRIBE gives
// (api/access.ts decides both). A channel added without a case fails the first test. Which
// fired alerts each stream gets is api/alerts/alerts.integration.test.ts ("a narrower token").
import { describe, expect, it } from 'vitest'
import type { Role } from '../core/roles.ts'
import { channelCases, scopeEntities } from '../test/support/channel-scope-cases.ts'
import { auth } from '../test/support/gateway.ts'
import { gatewayForFile, noRateLimits } from '../test/support/gateway-file.ts'
import { openSse } from '../test/support/sse-client.ts'
import { numericColumns } from './alerts/columns.ts'
import { channels } from './live/channels.ts'

const file = gatewayForFile(noRateLimits)

let users = 0
const token = (roles: Role[], scope: { symbols?: string[]; shops?: string[] } = {}) =>
  auth.sign({ sub: `scope-user-${++users}`, roles, symbols: scope.symbols ?? ['*'], shops: scope.shops ?? ['*'] }, '1h')

const save = async (t: string, channel: string, params: Record<string, unknown>) => {
  const column = numericColumns(channels.get(channel)!)[0]
  const r = await fetch(`${file.gw.url}/api/v1/alerts/rules`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `${channel} scope`, channel, params, condition: { column, op: '>', value: 1 }, cooldown_s: 0 }),
  })
  const body = (await r.json()) as { id?: string; error?: { code: string; details?: { path?: string } } }
  return { status: r.status, code: body.error?.code, path: body.error?.details?.path, id: body.id }
}

describe('alert rules: scope on every channel', { timeout: 120_000 }, () => {
  it('has a case for every live channel a rule can watch', () => {
    expect(Object.keys(channelCases).sort()).toEqual([...channels.keys()].sort())
  })

  it.each(Object.entries(channelCases))('%s', async (name, c) => {
    const entity = scopeEntities[c.scope]
    const scoped = await token([c.role], { symbols: c.scope === 'symbols' ? [entity.A] : [], shops: c.scope === 'shops' ? [entity.A] : [] })
    const saved = await save(scoped, name, c.params(entity.A))
    expect([saved.status, saved.code]).toEqual([201, undefined])
    expect(await save(scoped, name, c.params(entity.B))).toMatchObject({ status: 403, code: 'NOT_ENTITLED', path: 'params' })
    const other = await token([c.role === 'trader' ? 'seller' : 'trader'])
    expect(await save(other, name, c.params(entity.A))).toMatchObject({ status: 403, code: 'FORBIDDEN' })
    expect(await save(await token(['admin']), name, c.params(entity.B))).toMatchObject({ status: 201 })
  })

  it('the alerts API and stream need trader or seller: FORBIDDEN otherwise', async () => {
    const analyst = await token(['analyst'])
    const r = await fetch(`${file.gw.url}/api/v1/alerts/rules`, { headers: { authorization: `Bearer ${analyst}` } })
    expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([403, 'FORBIDDEN'])
    const stream = await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token: analyst })
    expect(stream.status).toBe(403)
  })
})
