// The alerts API on the real gateway (embedded chDB): rules CRUD per user, entitlements,
// firing from ingested trades through the live path, SSE with Last-Event-ID, history, ack.
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, callApi, ingest } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import type { Role } from '../../core/roles.ts'
import { openSse, type SseClient } from '../../test/support/sse-client.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { S } from '../protocol/index.ts'
import { createRuleStore } from './store.ts'

const file = gatewayForFile({ LIVE_TICK_MS: '100', ALERT_MAX_STREAMS_PER_USER: '3' })
const streams: SseClient[] = []
// After hooks run last-registered first: the streams close before the gateway stops.
afterAll(() => {
  for (const s of streams) s.close()
})

const call = (method: string, path: string, token: string, body?: unknown) => callApi(file.gw, method, path, token, body)
const sse = async (token: string, lastEventId?: string) => {
  const s = await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token, lastEventId })
  streams.push(s)
  return s
}
let users = 0
/** A token of a user of its own (tokenFor's subject is the same for every token of one role). */
const tokenFor = (roles: Role[], scope: { symbols?: string[]; shops?: string[] } = {}, ttl = '1h') =>
  auth.sign({ sub: `alerts-user-${++users}`, roles, symbols: scope.symbols ?? ['*'], shops: scope.shops ?? ['*'] }, ttl)
let n = 0
let lastTs = 0
/** Trades in the order made (distinct, increasing ts): the tape orders by time. */
const trade = (symbol: string, price: number) => ({ id: `a${++n}`, ts: (lastTs = Math.max(lastTs + 1, Date.now())), symbol, price, qty: 1, side: 'buy' })
/** A rule on the trade tape: every trade is an observation, so a dip and a rise in one request is a new episode. */
const tapeRule = (symbol: string, over: Record<string, unknown> = {}) =>
  rule(symbol, { channel: 'trades', params: { symbol }, condition: { column: 'price', op: '>', value: 100 }, ...over })
const rule = (symbol: string, over: Record<string, unknown> = {}) => ({
  name: `${symbol} above 100`, channel: 'candles', params: { symbol, interval: '1s' }, condition: { column: 'close', op: '>', value: 100 }, cooldown_s: 0, ...over,
})

describe('alert rules API', { timeout: 300_000 }, () => {
  it('creates, lists, reads, updates (with a version check) and deletes rules per user', async () => {
    const alice = await tokenFor(['trader'], { symbols: ['CRUD-A'] })
    const created = await call('POST', '/api/v1/alerts/rules', alice, rule('CRUD-A', { notify: [] }))
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const r = created.body!
    expect(r).toMatchObject({ name: 'CRUD-A above 100', channel: 'candles', params: { symbol: 'CRUD-A', interval: '1s' }, cooldown_s: 0, for_s: 0, muted: false })
    expect((await call('GET', '/api/v1/alerts/rules', alice)).body!.rules.map((x: { id: string }) => x.id)).toEqual([r.id])
    expect((await call('GET', `/api/v1/alerts/rules/${r.id}`, alice)).body).toMatchObject({ id: r.id, version: r.version })
    const updated = await call('PUT', `/api/v1/alerts/rules/${r.id}`, alice, { ...rule('CRUD-A'), name: 'renamed', version: r.version })
    expect([updated.status, updated.body!.name, updated.body!.created_at]).toEqual([200, 'renamed', r.created_at])
    const stale = await call('PUT', `/api/v1/alerts/rules/${r.id}`, alice, { ...rule('CRUD-A'), version: r.version })
    expect([stale.status, stale.body!.error.code]).toEqual([409, 'VERSION_CONFLICT'])
    const bob = await tokenFor(['trader'])
    expect((await call('GET', `/api/v1/alerts/rules/${r.id}`, bob)).status).toBe(404) // another user's rule does not exist for bob
    expect((await call('DELETE', `/api/v1/alerts/rules/${r.id}`, bob)).status).toBe(404)
    expect((await call('DELETE', `/api/v1/alerts/rules/${r.id}`, alice)).status).toBe(204)
    expect((await call('GET', `/api/v1/alerts/rules/${r.id}`, alice)).body!.error.code).toBe('RULE_NOT_FOUND')
  })

  it('the rules digest changes when a rule is created, updated or deleted, and only then; versions and rows by id follow (what the reload reads)', async () => {
    const store = createRuleStore(file.gw.clickhouse('ops'))
    const t = await tokenFor(['trader'], { symbols: ['DIGEST-A'] })
    const d0 = await store.digest()
    expect(await store.digest()).toBe(d0)
    const r = (await call('POST', '/api/v1/alerts/rules', t, rule('DIGEST-A'))).body!
    const d1 = await store.digest()
    expect(d1).not.toBe(d0)
    expect((await call('PUT', `/api/v1/alerts/rules/${r.id}`, t, { ...rule('DIGEST-A'), name: 'renamed', version: r.version })).status).toBe(200)
    const d2 = await store.digest()
    expect([d2 === d1, await store.digest()]).toEqual([false, d2])
    const renamed = (await call('GET', `/api/v1/alerts/rules/${r.id}`, t)).body!
    expect((await store.versions()).get(r.id)).toBe(renamed.version)
    expect((await store.rulesByIds([r.id])).map((x) => [x.id, x.name, x.version])).toEqual([[r.id, 'renamed', renamed.version]])
    expect((await call('DELETE', `/api/v1/alerts/rules/${r.id}`, t)).status).toBe(204)
    const d3 = await store.digest()
    expect([d3 === d2, d3 === d1]).toEqual([false, false])
    expect([(await store.versions()).has(r.id), await store.rulesByIds([r.id])]).toEqual([false, []])
  })

  it('refuses rules outside the token\'s entitlements (403) and bad rules (400 naming the field)', async () => {
    const t = await tokenFor(['trader'], { symbols: ['ENT-A'] })
    const forbidden = await call('POST', '/api/v1/alerts/rules', t, rule('ENT-B'))
    expect([forbidden.status, forbidden.body!.error.code]).toEqual([403, 'NOT_ENTITLED'])
    const seller = await call('POST', '/api/v1/alerts/rules', await tokenFor(['seller']), rule('ENT-A'))
    // A seller has no market channel at all: the role is missing, as a WebSocket SUBSCRIBE would say (api/access.ts).
    expect([seller.status, seller.body!.error.code]).toEqual([403, 'FORBIDDEN'])
    expect((await call('POST', '/api/v1/alerts/rules', await tokenFor(['analyst']), rule('ENT-A'))).status).toBe(403)
    const field = async (body: unknown) => {
      const r = await call('POST', '/api/v1/alerts/rules', t, body)
      expect([r.status, r.body!.error.code], JSON.stringify(r.body)).toEqual([400, 'INVALID_RULE'])
      return r.body!.error.details.map((d: { path: string }) => d.path)
    }
    expect(await field(rule('ENT-A', { channel: 'nope' }))).toEqual(['channel'])
    expect(await field(rule('ENT-A', { params: { symbol: 'ENT-A', interval: '5s' } }))).toEqual(['params.interval'])
    expect(await field(rule('ENT-A', { condition: { column: 'symbol', op: '>', value: 1 } }))).toEqual(['condition.column'])
    expect(await field(rule('ENT-A', { condition: { column: 'close', op: 'change_pct_above', value: 1 } }))).toEqual(['condition.window_s'])
    expect(await field(rule('ENT-A', { condition: { column: 'close', op: 'between', value: 1 } }))).toEqual(['condition.op'])
    expect(await field(rule('ENT-A', { for_s: -1 }))).toEqual(['for_s'])
    expect(await field(rule('ENT-A', { name: '' }))).toEqual(['name'])
    expect(await field(rule('ENT-A', { notify: [{ type: 'webhook', url: 'ftp://example.com/x' }] }))).toEqual(['notify.0.url'])
    expect(await field({ ...rule('ENT-A'), extra: 1 })).toEqual(['body'])
  })

  it('fires from an ingested trade through the live path to an SSE stream; history and ack follow', async () => {
    const t = await tokenFor(['trader'], { symbols: ['FIRE-A'] })
    await ingest(file.gw, 'trades', [trade('FIRE-A', 99)])
    const created = (await call('POST', '/api/v1/alerts/rules', t, rule('FIRE-A'))).body!
    const stream = await sse(t)
    expect(stream.status).toBe(200)
    await ingest(file.gw, 'trades', [trade('FIRE-A', 101.5)])
    await eventually(() => expect(stream.alerts()).toHaveLength(1), { timeoutMs: 60_000 })
    const a = stream.alerts()[0]
    expect(a).toMatchObject({ rule_id: created.id, rule_name: 'FIRE-A above 100', channel: 'candles', params: { symbol: 'FIRE-A', interval: '1s' }, value: 101.5, condition: { column: 'close', op: '>', value: 100 } })
    expect(stream.events.find((e) => e.event === 'alert')!.id).toBe(String(a.seq))
    // Delivered as it fired; in the history once written.
    await eventually(async () => {
      const history = await call('GET', `/api/v1/alerts/history?rule=${created.id}`, t)
      expect(history.body!.alerts.map((x: { id: string; acked: boolean }) => [x.id, x.acked])).toEqual([[a.id, false]])
    })
    expect((await call('POST', `/api/v1/alerts/rules/${created.id}/ack`, t)).status).toBe(200)
    expect((await call('GET', `/api/v1/alerts/history?rule=${created.id}`, t)).body!.alerts[0].acked).toBe(true)
  })

  it('an SSE reconnect with Last-Event-ID gets what it missed, from the history', async () => {
    const t = await tokenFor(['trader'], { symbols: ['RES-A'] })
    await ingest(file.gw, 'trades', [trade('RES-A', 90)])
    const created = (await call('POST', '/api/v1/alerts/rules', t, tapeRule('RES-A'))).body!
    const first = await sse(t)
    await ingest(file.gw, 'trades', [trade('RES-A', 110)])
    await eventually(() => expect(first.alerts()).toHaveLength(1), { timeoutMs: 60_000 })
    first.close()
    // Two more episodes while nobody listens.
    await ingest(file.gw, 'trades', [trade('RES-A', 95), trade('RES-A', 120)])
    await eventually(async () => expect((await call('GET', `/api/v1/alerts/history?rule=${created.id}`, t)).body!.alerts).toHaveLength(2), { timeoutMs: 60_000 })
    await ingest(file.gw, 'trades', [trade('RES-A', 96), trade('RES-A', 130)])
    await eventually(async () => expect((await call('GET', `/api/v1/alerts/history?rule=${created.id}`, t)).body!.alerts).toHaveLength(3), { timeoutMs: 60_000 })
    const resumed = await sse(t, first.events.find((e) => e.event === 'alert')!.id)
    await eventually(() => expect(resumed.alerts().map((x) => x.value)).toEqual([120, 130]), { timeoutMs: 60_000 })
  })

  it('mute and snooze stop firing; bad snooze times and unknown ids are refused', async () => {
    const t = await tokenFor(['trader'], { symbols: ['MUTE-A'] })
    await ingest(file.gw, 'trades', [trade('MUTE-A', 90)])
    const [muted, snoozed, control] = await Promise.all([0, 1, 2].map(async () => (await call('POST', '/api/v1/alerts/rules', t, tapeRule('MUTE-A'))).body!))
    expect((await call('POST', `/api/v1/alerts/rules/${muted.id}/mute`, t)).body!.muted).toBe(true)
    const later = await call('POST', `/api/v1/alerts/rules/${snoozed.id}/snooze`, t, { for_s: 600 })
    expect(Date.parse(later.body!.snoozed_until)).toBeGreaterThan(Date.now())
    expect((await call('POST', `/api/v1/alerts/rules/${snoozed.id}/snooze`, t, { until: '2001-01-01T00:00:00Z' })).body!.error.code).toBe('INVALID_RULE')
    expect((await call('POST', `/api/v1/alerts/rules/${crypto.randomUUID()}/ack`, t)).status).toBe(404)
    expect((await call('POST', '/api/v1/alerts/rules/not-a-uuid/mute', t)).status).toBe(404)
    await ingest(file.gw, 'trades', [trade('MUTE-A', 150)])
    // The control rule watches the same trades: once it fired, the others saw the crossing too.
    await eventually(async () => expect((await call('GET', `/api/v1/alerts/history?rule=${control.id}`, t)).body!.alerts).toHaveLength(1), { timeoutMs: 60_000 })
    expect((await call('GET', '/api/v1/alerts/history', t)).body!.alerts.map((a: { rule_id: string }) => a.rule_id)).toEqual([control.id])
    expect((await call('POST', `/api/v1/alerts/rules/${muted.id}/unmute`, t)).body!.muted).toBe(false)
    expect((await call('POST', `/api/v1/alerts/rules/${snoozed.id}/snooze`, t, { until: null })).body!.snoozed_until).toBe(null)
    await ingest(file.gw, 'trades', [trade('MUTE-A', 90), trade('MUTE-A', 160)])
    await eventually(async () => expect((await call('GET', '/api/v1/alerts/history', t)).body!.alerts).toHaveLength(4), { timeoutMs: 60_000 })
  })

  it('the WebSocket alerts channel resumes from the last alert it saw; a narrower token of the same user sees only its symbols', async () => {
    const sub = `alerts-user-${++users}`
    const wide = await auth.sign({ sub, roles: ['trader'], symbols: ['WS-A', 'WS-B'], shops: [] }, '1h')
    const narrow = await auth.sign({ sub, roles: ['trader'], symbols: ['WS-A'], shops: [] }, '1h')
    await ingest(file.gw, 'trades', [trade('WS-A', 90), trade('WS-B', 90)])
    const ids = await Promise.all(['WS-A', 'WS-B'].map(async (s) => (await call('POST', '/api/v1/alerts/rules', wide, tapeRule(s))).body!.id as string))
    const first = await LiveClient.connect(file.gw.url, { token: wide })
    first.subscribe(1, 'alerts', {})
    await eventually(() => expect(first.subs.get(1)).toBeDefined())
    await ingest(file.gw, 'trades', [trade('WS-A', 150)])
    await eventually(() => expect(first.rows(1).map((r) => r[3])).toEqual([ids[0]]), { timeoutMs: 60_000 })
    const seen = first.subs.get(1)!
    const lastT = first.rows(1)[0][0] as number
    first.close()
    await ingest(file.gw, 'trades', [trade('WS-B', 150)])
    await eventually(async () => expect((await call('GET', '/api/v1/alerts/history', wide)).body!.alerts).toHaveLength(2), { timeoutMs: 60_000 })
    const again = await LiveClient.connect(file.gw.url, { token: wide })
    again.subscribe(1, 'alerts', {}, { seq: seen.seq, t: lastT })
    await eventually(() => expect(again.rows(1).map((r) => r[3]).sort()).toEqual([...ids].sort()))
    const snapshot = again.frames.find((f) => f.type === S.SNAPSHOT)!
    expect(snapshot.type === S.SNAPSHOT && snapshot.since).toBe(lastT)
    again.close()
    // The narrow token: history, SSE resume and the channel show WS-A's alert only.
    expect((await call('GET', '/api/v1/alerts/history', narrow)).body!.alerts.map((a: { rule_id: string }) => a.rule_id)).toEqual([ids[0]])
    const resumed = await sse(narrow, '0')
    await eventually(() => expect(resumed.alerts().map((a) => a.rule_id)).toEqual([ids[0]]))
    const ws = await LiveClient.connect(file.gw.url, { token: narrow })
    ws.subscribe(1, 'alerts', {})
    await eventually(() => expect(ws.rows(1).map((r) => r[3])).toEqual([ids[0]]))
    ws.close()
  })

  it('limits SSE streams per user and refuses streams without a valid token', async () => {
    const t = await tokenFor(['trader'], {}, '1h')
    const open = [await sse(t), await sse(t), await sse(t)]
    expect(open.map((s) => s.status)).toEqual([200, 200, 200])
    const fourth = await sse(t)
    expect(fourth.status).toBe(429)
    open[0].close()
    await eventually(async () => expect((await sse(t)).status).toBe(200))
    expect((await openSse(`${file.gw.url}/api/v1/alerts/stream`)).status).toBe(401)
    expect((await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token: 'x.y.z' })).status).toBe(401)
    const viaQuery = await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token: await tokenFor(['seller']), query: true })
    streams.push(viaQuery)
    expect(viaQuery.status).toBe(200)
    expect((await sse(t, 'not-a-number')).status).toBe(400)
  })
})
