// Hostile input on the alerts API (issue 11): huge and malformed bodies, unknown channels,
// injection strings, 10,000 rules from one user, webhooks aimed at loopback and metadata
// addresses. Every one gets a clear error; the gateway stays up and a well-behaved user's
// alerts keep working meanwhile.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows } from '../../test/support/gateway.ts'
import { gatewayForFile, noRateLimits } from '../../test/support/gateway-file.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { openSse } from '../../test/support/sse-client.ts'

const maxRules = 200
// No request limits here: 10,000 requests from one user must meet the rule limit, not the rate limit.
const file = gatewayForFile({ LIVE_TICK_MS: '100', ALERT_MAX_RULES_PER_USER: String(maxRules), ...noRateLimits })

const token = (sub: string, roles: ('trader' | 'seller')[] = ['trader', 'seller']) => auth.sign({ sub, roles, symbols: ['*'], shops: ['*'] }, '1h')
const send = async (t: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
  const r = await fetch(`${file.gw.url}${path}`, { method, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', ...headers }, body: body as BodyInit | undefined })
  const text = await r.text()
  let json: any
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: r.status, code: json?.error?.code as string | undefined, json }
}
const valid = (symbol = 'HOST-A') => ({ name: 'ok', channel: 'trades', params: { symbol }, condition: { column: 'price', op: '>', value: 100 }, cooldown_s: 0 })

describe('alerts under hostile input', () => {
  it('answers huge, compressed-bomb, malformed, non-object and deeply nested bodies with clear errors', async () => {
    const t = await token('hostile-bodies')
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), name: 'x'.repeat(200 * 1024) }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))
    expect(await send(t, 'POST', '/api/v1/alerts/rules', bomb, { 'content-encoding': 'gzip' })).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', '{"name": "x", ')).toMatchObject({ status: 400, code: 'MALFORMED_JSON' })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', '\u0000\u00ff\ufffe')).toMatchObject({ status: 400, code: 'MALFORMED_JSON' })
    for (const body of ['[]', '"rule"', 'null', '42']) expect(await send(t, 'POST', '/api/v1/alerts/rules', body), body).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', '['.repeat(30_000) + ']'.repeat(30_000))).toMatchObject({ status: 400 })
    const manyKeys = { ...valid(), params: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])) }
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify(manyKeys))).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), condition: { column: 'price', op: '>', value: 'NaN' } }))).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), condition: { column: 'price', op: '>', value: 1e309 } }))).toMatchObject({ status: 400 })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), notify: Array.from({ length: 6 }, () => ({ type: 'webhook', url: 'https://hooks.example/x' })) }))).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), name: 'x'.repeat(10 * 1024 * 1024) }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    const wrong = await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), name: 42, condition: { column: 7, op: '>>', value: '1' } }))
    expect([wrong.status, wrong.code, wrong.json?.error.details.map((d: { path: string }) => d.path).sort()]).toEqual([400, 'INVALID_RULE', ['condition.column', 'condition.op', 'condition.value', 'name']])
    let deep = '1' // 8,000 levels: within the 64 KiB cap, and deeper than JSON.stringify's stack
    for (let i = 0; i < 8000; i++) deep = `{"a":${deep}}`
    expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify(valid()).replace('"params":{', `"params":{"deep":${deep},`))).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    const rule = await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify(valid()))
    expect(rule.status).toBe(201)
    const snooze = (body: string) => send(t, 'POST', `/api/v1/alerts/rules/${rule.json.id}/snooze`, body)
    expect(await snooze('x'.repeat(10 * 1024 * 1024))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' })
    expect(await snooze('{"until":')).toMatchObject({ status: 400, code: 'MALFORMED_JSON' })
    for (const body of ['{"until": "soon"}', '{"for_s": -1}', '{"until": null, "for_s": 5}', '[]']) expect(await snooze(body), body).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    expect(await snooze('{"for_s": 60}')).toMatchObject({ status: 200 })
  })

  it('refuses unknown channels and injection strings in params, and stores odd but valid text verbatim', async () => {
    const t = await token('hostile-params')
    for (const channel of ['nope', 'system.tables', "candles' OR 1=1 --", '../../etc/passwd', '']) {
      expect(await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), channel })), channel).toMatchObject({ status: 400, code: 'INVALID_RULE' })
    }
    for (const symbol of ["BTC'; DROP TABLE alert_rules; --", 'BTC\u0000', 'a'.repeat(33), '<script>', ['BTC'], { $gt: '' }]) {
      const r = await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), params: { symbol } }))
      expect([r.status, r.code, r.json?.error.details[0].path], JSON.stringify(symbol)).toEqual([400, 'INVALID_RULE', 'params.symbol'])
    }
    // A shop id may be any text (core/identifiers.ts): it reaches ClickHouse only as an escaped literal.
    const shop = "x' OR 1=1) UNION SELECT * FROM alert_rules --"
    const name = "<img src=x onerror=alert(1)> '; DROP TABLE alerts; --"
    const created = await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ name, channel: 'sales', params: { shop, interval: '1m' }, condition: { column: 'revenue', op: '<', value: 1 } }))
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    expect(created.json).toMatchObject({ name, params: { shop } })
    expect((await send(t, 'GET', `/api/v1/alerts/rules/${created.json.id}`)).json).toMatchObject({ name, params: { shop } })
    for (const id of ["' OR 1=1 --", '..%2F..%2Fetc', '00000000-0000-0000-0000-00000000000z']) expect((await send(t, 'GET', `/api/v1/alerts/rules/${id}`)).status).toBe(404)
    expect(await rows(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM alert_rules')).toEqual([{ n: expect.anything() }])
  })

  it('refuses webhooks aimed at loopback, private and metadata addresses by default', async () => {
    const t = await token('hostile-webhooks')
    const urls = ['http://127.0.0.1:8080/', 'http://localhost/', 'http://[::1]/', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/',
      'http://0x7f000001/', 'http://2130706433/', 'http://[::ffff:127.0.0.1]/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'http://user:pw@example.com/']
    for (const url of urls) {
      const r = await send(t, 'POST', '/api/v1/alerts/rules', JSON.stringify({ ...valid(), notify: [{ type: 'webhook', url }] }))
      expect([r.status, r.code, r.json?.error.details?.[0]?.path], url).toEqual([400, 'INVALID_RULE', 'notify.0.url'])
    }
  })

  it('10,000 rules from one user: the limit answers 429 TOO_MANY_RULES, nothing crashes, another user is unaffected', async () => {
    const t = await token('hostile-many', ['trader'])
    const other = await token('hostile-bystander', ['trader'])
    const body = JSON.stringify(valid('HOST-MANY'))
    const statuses = new Map<number, number>()
    let next = 0
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < 10_000) {
        next++
        const r = await send(t, 'POST', '/api/v1/alerts/rules', body)
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
        if (r.status !== 201) expect(r.code).toBe('TOO_MANY_RULES')
      }
    }))
    expect(Object.fromEntries(statuses)).toEqual({ 201: maxRules, 429: 10_000 - maxRules })
    expect((await send(t, 'GET', '/api/v1/alerts/rules')).json.rules).toHaveLength(maxRules)
    // The bystander's rule still fires while the 200 rules watch the same trades.
    const mine = await send(other, 'POST', '/api/v1/alerts/rules', JSON.stringify(valid('HOST-MANY')))
    expect(mine.status).toBe(201)
    const stream = await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token: other })
    try {
      await ingest(file.gw, 'trades', [{ id: 'hm-1', ts: Date.now(), symbol: 'HOST-MANY', price: 150, qty: 1, side: 'buy' }])
      await eventually(() => expect(stream.alerts().map((a) => a.rule_id)).toEqual([mine.json.id]), { timeoutMs: 60_000 })
    } finally {
      stream.close()
    }
    // And each of the 200 rules fired once for that trade.
    await eventually(async () => expect(Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), "SELECT toString(count()) AS n FROM alerts WHERE owner = 'hostile-many'"))[0].n)).toBe(maxRules))
  }, 600_000) // 10,000 requests: minutes on a busy 2-core machine

  it('refuses bad history parameters, Last-Event-IDs and alerts-channel params; the gateway stays up', async () => {
    const t = await token('hostile-misc')
    for (const q of ['limit=100000', 'limit=0', 'from=yesterday', 'cursor=-1', 'rule=not-a-uuid', 'unknown=1', "to=' OR 1=1"]) {
      expect(await send(t, 'GET', `/api/v1/alerts/history?${q}`), q).toMatchObject({ status: 400, code: 'INVALID_PARAMETER' })
    }
    for (const last of ['abc', '-1', '1e9', '9'.repeat(40)]) expect((await openSse(`${file.gw.url}/api/v1/alerts/stream`, { token: t, lastEventId: last })).status, last).toBe(400)
    const ws = await LiveClient.connect(file.gw.url, { token: t })
    try {
      ws.subscribe(1, 'alerts', { owner: 'someone-else' })
      await eventually(() => expect(ws.errors().map((e) => e.reason)).toEqual(['BAD_ARGUMENT']))
    } finally {
      ws.close()
    }
    expect((await fetch(`${file.gw.url}/health`)).status).toBe(200)
  })
})
