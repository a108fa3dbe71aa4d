// Live channels' scope on the real WebSocket, table-driven: every channel the gateway serves
// is subscribed with an in-scope token (a snapshot arrives) and an out-of-scope one (an
// ERROR, no data), over data of both. A channel added without a row here fails the first test.
import { describe, expect, it } from 'vitest'
import { eventually } from '../test/support/eventually.ts'
import { tokenFor } from '../test/support/gateway.ts'
import { ingestStored } from '../test/support/gateway-file.ts'
import { liveGatewayForFile } from '../test/support/live-file.ts'
import type { LiveClient } from '../test/support/live-client.ts'
import { channelCases, scopeEntities } from '../test/support/channel-scope-cases.ts'
import { denials } from './access.ts'
import { makeFixtures } from '../test/support/history-fixtures.ts'
import { S } from './protocol/index.ts'

const { symbols, shops } = scopeEntities
const cases = channelCases

/**
 * Pushed channels: who may subscribe (here), and which rows each subscription gets, which for
 * `alerts` is the owner's own alerts within the token's scope now: a narrower token of the same
 * user gets only its symbols' alerts (api/alerts/alerts.integration.test.ts, "a narrower token").
 */
const pushedCases: Record<string, { roles: ['trader', 'seller'] }> = {
  alerts: { roles: ['trader', 'seller'] },
}

const tokens: Record<string, string> = {}
const live = liveGatewayForFile({ LIVE_TICK_MS: '100' }, async (gw) => {
  const f = makeFixtures(Date.now() - 3600_000, { spanMs: 3600_000 - 60_000 })
  await ingestStored(gw, { trades: f.trades, orders: f.orders, web_events: f.webEvents })
  tokens.symbolsA = await tokenFor(['trader'], { symbols: [symbols.A], shops: [] })
  tokens.shopsA = await tokenFor(['seller'], { symbols: [], shops: [shops.A] })
  tokens.trader = await tokenFor(['trader'])
  tokens.seller = await tokenFor(['seller'])
}, { timeoutMs: 300_000 })
const connect = (token: string) => live.connect({ token })

/** The ERROR frame for `sid`, once it arrives. */
const errorFor = (c: LiveClient, sid: number) => eventually(() => {
  const e = c.errors().find((x) => x.sid === sid)
  expect(e).toBeDefined()
  return e!
}, { timeoutMs: 30_000 })

describe('live channel scope on the WebSocket, every channel', { timeout: 120_000 }, () => {
  it('has a scope case for every channel the gateway serves, and only for those', () => {
    expect([...Object.keys(cases), ...Object.keys(pushedCases)].sort()).toEqual(live.gw.live.channelNames().sort())
  })

  it.each(Object.entries(cases))('%s', async (name, c) => {
    const entity = c.scope === 'symbols' ? symbols : shops
    const scoped = await connect(c.scope === 'symbols' ? tokens.symbolsA : tokens.shopsA)
    // In scope: a snapshot, no error.
    scoped.subscribe(1, name, c.params(entity.A))
    await eventually(() => expect(scoped.subs.get(1)).toBeDefined(), { timeoutMs: 30_000 })
    // Out of scope: 4014 NOT_ENTITLED for that sid (api/access.ts decides), and no data.
    scoped.subscribe(2, name, c.params(entity.B))
    expect(await errorFor(scoped, 2)).toMatchObject({ reason: 'NOT_ENTITLED', code: denials.NOT_ENTITLED.ws })
    expect(scoped.frames.filter((f) => (f.type === S.SNAPSHOT || f.type === S.DELTA) && 'sid' in f && f.sid === 2)).toEqual([])
    expect(scoped.subs.has(2)).toBe(false)
    // The same params with an unscoped token of the role: allowed (the data is there; the denial was scope).
    const open = await connect(tokens[c.role])
    open.subscribe(3, name, c.params(entity.B))
    await eventually(() => expect(open.subs.get(3)).toBeDefined(), { timeoutMs: 30_000 })
    // The other live role: FORBIDDEN (4007).
    const other = await connect(tokens[c.role === 'trader' ? 'seller' : 'trader'])
    other.subscribe(4, name, c.params(entity.A))
    expect(await errorFor(other, 4)).toMatchObject({ reason: 'FORBIDDEN', code: denials.FORBIDDEN.ws })
  })
})

describe('pushed channels on the WebSocket', { timeout: 120_000 }, () => {
  it.each(Object.entries(pushedCases))('%s: every role it is for subscribes; no token of another role gets past the upgrade', async (name, c) => {
    for (const [i, role] of c.roles.entries()) {
      const client = await connect(tokens[role])
      client.subscribe(i + 1, name, {})
      await eventually(() => expect(client.subs.get(i + 1)).toBeDefined(), { timeoutMs: 30_000 })
      expect(client.errors()).toEqual([])
    }
    await expect(connect(await tokenFor(['analyst']))).rejects.toMatchObject({ status: 403 })
  })
})
