// Live channel limits against the real gateway (docs/protocol.md, Limits): connections per
// token and per peer address, distinct channels per token, and channels of symbols or shops
// that never had an event (per token and over everyone).
import { afterEach, describe, expect, it } from 'vitest'
import { S } from '../protocol/index.ts'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { checkInvariantsAfterFile } from '../../test/support/live-file.ts'

const clients: LiveClient[] = []

const file = gatewayForFile({
  LIVE_TICK_MS: '100', LIVE_MAX_CONNECTIONS_PER_TOKEN: '3', LIVE_MAX_CONNECTIONS_PER_IP: '8',
  LIVE_MAX_CHANNELS_PER_TOKEN: '4', LIVE_MAX_UNSEEN_CHANNELS_PER_TOKEN: '2', LIVE_MAX_UNSEEN_CHANNELS: '3',
}, async (gw) => {
  // Seen symbols: trades exist before the gateway's index is asked about them.
  await ingest(gw, 'trades', ['SEEN-A', 'SEEN-B', 'SEEN-C', 'SEEN-D', 'SEEN-E'].map((symbol, i) => ({ id: `lim${i}`, ts: Date.now() - 5000, symbol, price: 10, qty: 1, side: 'buy' })))
  // Wait until the gateway's index has read them (it last read an empty database at start).
  const probe = await token('lim-probe')
  const c = await LiveClient.connect(gw.url, { token: probe })
  expect([await candles(c, 1, 'NOPE-1'), await candles(c, 2, 'NOPE-2')]).toEqual(['ok', 'ok'])
  await seenBy(probe, 'SEEN-A')
  c.close()
  await eventually(() => expect(gw.live.stats()).toMatchObject({ connections: 0, unseenChannels: 0 }))
})
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await eventually(() => expect(file.gw.live.stats().connections).toBe(0))
})
checkInvariantsAfterFile()

const token = (sub: string, roles: ('trader' | 'seller')[] = ['trader']) => auth.sign({ sub, roles, symbols: ['*'], shops: ['*'] }, '1h')
const connect = async (t: string) => {
  const c = await LiveClient.connect(file.gw.url, { token: t })
  clients.push(c)
  return c
}
/** Subscribes `sid` to 1m candles of `symbol`; resolves with 'ok' (snapshot) or the error reason. */
async function candles(c: LiveClient, sid: number, symbol: string): Promise<string> {
  c.subscribe(sid, 'candles', { symbol, interval: '1m' })
  return eventually(() => {
    const e = c.errors().find((f) => f.sid === sid)
    if (e) return e.reason
    expect(c.subs.has(sid)).toBe(true)
    return 'ok'
  }, { timeoutMs: 30_000 })
}
/** Waits until the gateway counts `symbol` as seen: a token with no unseen channel left may watch it. */
async function seenBy(full: string, symbol: string) {
  let sid = 1000
  await eventually(async () => {
    const probe = await LiveClient.connect(file.gw.url, { token: full })
    try {
      expect(await candles(probe, sid++, symbol)).toBe('ok')
    } finally {
      probe.close()
      await eventually(() => expect(probe.closeCode).toBeDefined())
    }
  }, { timeoutMs: 30_000, intervalMs: 1100 })
}

describe('connections', () => {
  it('refuses a token its 4th connection with 429 TOO_MANY_CONNECTIONS, and takes it once one closed', async () => {
    const t = await token('lim-conn')
    const open = [await connect(t), await connect(t), await connect(t)]
    await expect(LiveClient.connect(file.gw.url, { token: t })).rejects.toMatchObject({ status: 429 })
    // Another token is not affected.
    await connect(await token('lim-conn-other'))
    open[0].close()
    await eventually(async () => {
      const c = await LiveClient.connect(file.gw.url, { token: t })
      clients.push(c)
    })
  })

  it('refuses a peer address its 9th connection, whatever the token', async () => {
    for (const sub of ['lim-ip-1', 'lim-ip-2', 'lim-ip-3']) {
      const t = await token(sub)
      for (let i = 0; i < (sub === 'lim-ip-3' ? 2 : 3); i++) await connect(t)
    }
    await expect(LiveClient.connect(file.gw.url, { token: await token('lim-ip-4') })).rejects.toMatchObject({ status: 429 })
  })
})

describe('channels', () => {
  it('caps distinct channels per token over all its connections; the same channel twice counts once', async () => {
    const t = await token('lim-chan')
    const [a, b] = [await connect(t), await connect(t)]
    expect(await Promise.all([candles(a, 1, 'SEEN-A'), candles(a, 2, 'SEEN-B'), candles(b, 1, 'SEEN-C')])).toEqual(['ok', 'ok', 'ok'])
    expect(await candles(b, 2, 'SEEN-A')).toBe('ok') // already held by this token
    expect(await candles(b, 3, 'SEEN-D')).toBe('ok') // the 4th distinct channel
    expect(await candles(a, 3, 'SEEN-E')).toBe('TOO_MANY_CHANNELS')
    a.send({ op: 2, sid: 1 }) // UNSUBSCRIBE SEEN-A on a: b still holds it, so still 4
    await eventually(() => expect(a.frames.some((f) => f.type === S.UNSUBSCRIBED && f.sid === 1)).toBe(true))
    expect(await candles(a, 4, 'SEEN-E')).toBe('TOO_MANY_CHANNELS')
    b.send({ op: 2, sid: 2 })
    await eventually(() => expect(b.frames.some((f) => f.type === S.UNSUBSCRIBED && f.sid === 2)).toBe(true))
    expect(await candles(a, 5, 'SEEN-E')).toBe('ok')
    const refusal = a.errors().find((e) => e.reason === 'TOO_MANY_CHANNELS')!
    expect([refusal.code, refusal.temporary]).toEqual([4012, true])
  })

  it('caps channels of never-seen symbols per token and over all tokens, not those of seen ones', async () => {
    const [u, v] = [await token('lim-unseen-u'), await token('lim-unseen-v')]
    const cu = await connect(u)
    expect([await candles(cu, 1, 'NOPE-1'), await candles(cu, 2, 'NOPE-2'), await candles(cu, 3, 'NOPE-3')]).toEqual(['ok', 'ok', 'NEVER_SEEN'])
    const refusal = cu.errors().find((e) => e.reason === 'NEVER_SEEN')!
    expect([refusal.code, refusal.temporary]).toEqual([4013, true])
    await seenBy(u, 'SEEN-A') // u has no unseen channel left, yet may watch a seen symbol
    // Over all tokens at most 3 channels of never-seen symbols: v gets one new one, then only
    // those already running.
    const cv = await connect(v)
    expect(await candles(cv, 1, 'NOPE-4')).toBe('ok')
    expect(await candles(cv, 2, 'NOPE-5')).toBe('NEVER_SEEN')
    expect(await candles(cv, 3, 'NOPE-1')).toBe('ok')
    expect(file.gw.live.stats().unseenChannels).toBe(3)
  })
})

describe('the flood of issue 10 (one token, 20 connections × 45 made-up symbols)', () => {
  it('costs at most the capped live queries, and a watcher of a real symbol keeps getting its deltas', async () => {
    const real = await connect(await token('lim-watcher'))
    expect(await candles(real, 1, 'SEEN-E')).toBe('ok')
    const before = file.gw.live.stats().liveQueries
    const flood = await token('lim-flood')
    // This gateway allows 3 connections per token and 3 never-seen channels in all.
    const floods = await Promise.all(Array.from({ length: 3 }, () => connect(flood)))
    await expect(LiveClient.connect(file.gw.url, { token: flood })).rejects.toMatchObject({ status: 429 })
    floods.forEach((c, i) => { for (let s = 1; s <= 45; s++) c.subscribe(s, 'candles', { symbol: `FAKE-${i}-${s}`, interval: '1m' }) })
    // Too many refusals close a flooding connection (4400); either way nothing more is admitted.
    await eventually(() => expect(floods.every((c) => c.closeCode === 4400 || c.errors().length >= 44)).toBe(true))
    expect(file.gw.live.stats().liveQueries - before).toBeLessThanOrEqual(3)
    const seq = real.subs.get(1)!.seq
    await ingest(file.gw, 'trades', [{ id: 'lim-flood-1', ts: Date.now() - 1000, symbol: 'SEEN-E', price: 11, qty: 2, side: 'buy' }])
    await eventually(() => expect(real.subs.get(1)!.seq).toBeGreaterThan(seq))
    expect(real.closeCode).toBeUndefined()
  })
})
