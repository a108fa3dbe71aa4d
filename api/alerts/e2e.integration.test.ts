// Issue 11's end-to-end check on the real gateway: a rule created over HTTP, a crossing
// trade ingested, and the alert reaching an SSE client, a WebSocket client (the `alerts`
// channel) and a local webhook receiver; no re-fire inside the cooldown, a re-fire after it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { S } from '../protocol/index.ts'
import { openSse, type SseClient } from '../../test/support/sse-client.ts'
import { sign, signatureHeader } from './webhooks.ts'

let hook: Server | undefined
let hookUrl: string
const hooked: { headers: IncomingHttpHeaders; body: string }[] = []
let sse: SseClient | undefined
let ws: LiveClient | undefined

// Registered before the gateway's hooks, so the receiver closes after the gateway stopped.
afterAll(async () => {
  const server = hook
  if (server) await new Promise((r) => (server.closeAllConnections(), server.close(r)))
})
const file = gatewayForFile(async () => {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => (hooked.push({ headers: req.headers, body }), res.end('ok')))
  })
  hook = server
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`
  // The receiver is on loopback: allowed here only because the operator says so.
  return { LIVE_TICK_MS: '100', ALERT_WEBHOOK_ALLOW_PRIVATE: 'true' }
})
// Registered after the gateway's hooks, so the clients close before it stops.
afterAll(() => {
  sse?.close()
  ws?.close()
})

let lastTs = 0
let n = 0
const trade = (price: number) => ({ id: `e2e-${++n}`, ts: (lastTs = Math.max(lastTs + 1, Date.now())), symbol: 'E2E', price, qty: 1, side: 'buy' })
// Long enough that the second crossing is evaluated inside it even on a loaded machine (the
// test asserts that precondition): between the two lie an SSE wait, an ingest and a live tick.
const cooldownS = 30

describe('alerts end to end', { timeout: 300_000 }, () => {
  it('HTTP rule → ingested crossing trade → SSE, WebSocket and webhook; none inside the cooldown, again after it', async () => {
    const token = await auth.sign({ sub: 'e2e-trader', roles: ['trader'], symbols: ['E2E'], shops: [] }, '1h')
    const post = async (body: object) => {
      const r = await fetch(`${file.gw.url}/api/v1/alerts/rules`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expect(r.status, await r.clone().text()).toBe(201)
      return (await r.json()) as { id: string; notify: { secret: string }[] }
    }
    await ingest(file.gw, 'trades', [trade(95)])
    const rule = await post({
      name: 'E2E prints above 100', channel: 'trades', params: { symbol: 'E2E' }, condition: { column: 'price', op: 'crosses_above', value: 100 },
      cooldown_s: cooldownS, notify: [{ type: 'webhook', url: hookUrl }],
    })
    // The same trades, no cooldown: when it has fired, the rule above has seen those trades too.
    const control = await post({ name: 'control', channel: 'trades', params: { symbol: 'E2E' }, condition: { column: 'price', op: 'crosses_above', value: 100 }, cooldown_s: 0 })

    sse = await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token })
    expect(sse.status).toBe(200)
    ws = await LiveClient.connect(file.gw.url, { token })
    ws.subscribe(1, 'alerts', {})
    await eventually(() => expect(ws!.subs.get(1)).toBeDefined())
    const wsAlerts = (ruleId: string) => ws!.rows(1).filter((r) => r[3] === ruleId)
    const sseAlerts = (ruleId: string) => sse!.alerts().filter((a) => a.rule_id === ruleId)

    await ingest(file.gw, 'trades', [trade(99), trade(101)])
    await eventually(() => expect(sseAlerts(rule.id).map((a) => a.value)).toEqual([101]), { timeoutMs: 60_000 })
    const first = sseAlerts(rule.id)[0]
    // A second crossing inside the cooldown, sent at once (the checks below take time on a busy machine).
    await ingest(file.gw, 'trades', [trade(98), trade(102)])
    await eventually(() => expect(wsAlerts(rule.id).map((r) => [r[1], r[5]])).toEqual([[first.id, 101]]))
    await eventually(() => expect(hooked.map((h) => JSON.parse(h.body).alert.id)).toEqual([first.id]))
    const { headers, body } = hooked[0]
    const t = Number(/t=(\d+)/.exec(String(headers[signatureHeader]))![1])
    expect(headers[signatureHeader]).toBe(sign(rule.notify[0].secret, body, t))
    expect(JSON.parse(body).text).toContain('E2E prints above 100')

    // The control fired for the second crossing; the rule did not.
    await eventually(() => expect(sseAlerts(control.id)).toHaveLength(2), { timeoutMs: 60_000 })
    const secondEdge = Date.parse(sseAlerts(control.id)[1].fired_at)
    expect(secondEdge - Date.parse(first.fired_at), 'precondition: the second crossing was evaluated inside the cooldown').toBeLessThan(cooldownS * 1000)
    expect(sseAlerts(rule.id)).toHaveLength(1)

    // After the cooldown, the next crossing fires again, on every path.
    await eventually(() => expect(Date.now()).toBeGreaterThan(Date.parse(first.fired_at) + cooldownS * 1000 + 100), { timeoutMs: cooldownS * 1000 + 30_000, intervalMs: 200 })
    await ingest(file.gw, 'trades', [trade(97), trade(103)])
    await eventually(() => expect(sseAlerts(rule.id).map((a) => a.value)).toEqual([101, 103]), { timeoutMs: 60_000 })
    await eventually(() => expect(wsAlerts(rule.id).map((r) => r[5])).toEqual([101, 103]))
    await eventually(() => expect(hooked.map((h) => JSON.parse(h.body).alert.value)).toEqual([101, 103]))
    expect(ws.errors()).toEqual([])
    expect(ws.frames.filter((f) => f.type === S.DELTA).length).toBeGreaterThanOrEqual(4) // 2 rule + 2+ control alerts pushed
  })
})
