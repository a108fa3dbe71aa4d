import { describe, expect, it } from 'vitest'
import { gzipSync } from 'node:zlib'
import { ingest, rows, tokenFor } from '../test/support/gateway.ts'
import { gatewayForFile } from '../test/support/gateway-file.ts'
import { retentionDays, streams } from '../core/events.ts'

// Every body of this file, however small, is validated on a parse thread (ingest/parse-pool.ts).
const file = gatewayForFile({ MAX_BODY_BYTES: String(12 * 1024 * 1024), INGEST_PARSE_THREAD_MIN_CHARS: '0', INGEST_PARSE_OFFLOAD: 'always' })

const t0 = Date.now() - 60_000
const trade = (i: number, extra: object = {}) => ({ id: `t${i}`, ts: t0 + i, symbol: 'ACME', price: 10 + i / 100, qty: 1, side: i % 2 ? 'buy' : 'sell', ...extra })
const count = async (q: string) => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), q))[0].n)

describe('POST /v1/events/{stream} against embedded ClickHouse', () => {
  it('stores valid trades and the rollups see them', async () => {
    const res = await ingest(file.gw, 'trades', [trade(1), trade(2), trade(3)])
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 3, rejected: 0, errors: [] })
    expect(await count("SELECT count() AS n FROM trades WHERE symbol = 'ACME'")).toBe(3)
    expect(await count("SELECT sum(trades) AS n FROM candles_1s WHERE symbol = 'ACME'")).toBe(3)
  })

  it('accepts gzip bodies and ISO timestamps', async () => {
    const iso = new Date(Math.floor(t0 / 1000) * 1000 + 250).toISOString()
    const body = gzipSync([{ ts: iso, session_id: 's1', shop_id: 'gz', type: 'view' }].map((l) => JSON.stringify(l)).join('\n'))
    const res = await ingest(file.gw, 'web_events', [], { body, headers: { 'content-encoding': 'gzip' } })
    expect(await res.json()).toMatchObject({ accepted: 1, rejected: 0 })
    const [row] = await rows<{ ts: string }>(file.gw.clickhouse('ops'), "SELECT ts FROM web_events WHERE shop_id = 'gz'")
    expect(row.ts).toBe(iso.replace('T', ' ').replace('Z', ''))
  })

  it('keeps every valid line beside hostile ones and dead-letters the rest with reasons', async () => {
    const hostile: (object | string)[] = [
      trade(10, { symbol: 'GOOD' }),
      '{not json',
      '[1,2,3]',
      JSON.stringify(trade(11, { symbol: 'GOOD', price: 'ten' })),
      JSON.stringify({ ts: t0, symbol: 'GOOD', qty: 1, side: 'buy' }),
      `{"id":"h","ts":${t0},"symbol":"GOOD","price":1e400,"qty":1,"side":"buy"}`,
      JSON.stringify(trade(12, { symbol: 'GOOD', price: 1e12 })),
      JSON.stringify(trade(13, { symbol: 'göod' })),
      JSON.stringify(trade(14, { symbol: 'GOOD', venue: 've\u0000nue' })),
      JSON.stringify(trade(15, { symbol: 'GOOD', side: 'short' })),
      JSON.stringify(trade(16, { symbol: 'GOOD', ts: 'yesterday' })),
      trade(17, { symbol: 'GOOD', venue: 'Zürich 📈' }),
      `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`,
      trade(18, { symbol: 'GOOD' }),
    ]
    const res = await ingest(file.gw, 'trades', hostile)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { accepted: number; rejected: number; errors: { line: number; code: string }[] }
    expect(body.accepted).toBe(3)
    expect(body.rejected).toBe(11)
    expect(body.errors.map((e) => [e.line, e.code])).toEqual([
      [2, 'INVALID_JSON'],
      [3, 'NOT_AN_OBJECT'],
      [4, 'INVALID_TYPE'],
      [5, 'MISSING_FIELD'],
      [6, 'OUT_OF_RANGE'],
      [7, 'OUT_OF_RANGE'],
      [8, 'INVALID_VALUE'],
      [9, 'INVALID_VALUE'],
      [10, 'INVALID_VALUE'],
      [11, 'INVALID_TYPE'],
      [13, 'LINE_TOO_LONG'],
    ])
    expect(await count("SELECT count() AS n FROM trades WHERE symbol = 'GOOD'")).toBe(3)
    const [venue] = await rows<{ venue: string }>(file.gw.clickhouse('ops'), "SELECT venue FROM trades WHERE id = 't17'")
    expect(venue.venue).toBe('Zürich 📈')
    const letters = await rows<{ error_code: string; n: string }>(
      file.gw.clickhouse('ops'),
      "SELECT error_code, count() AS n FROM dead_letters WHERE stream = 'trades' GROUP BY error_code ORDER BY error_code",
    )
    expect(Object.fromEntries(letters.map((l) => [l.error_code, Number(l.n)]))).toMatchObject({ INVALID_JSON: 1, LINE_TOO_LONG: 1, OUT_OF_RANGE: 2 })
  })

  it('cuts a dead letter at 64 Ki characters and notes its length, from HTTP and from the demo path alike', async () => {
    const http = `{"marker":"cut-http","pad":"${'a'.repeat(70_000)}"}`
    expect(await (await ingest(file.gw, 'web_events', [http])).json()).toMatchObject({ accepted: 0, rejected: 1 })
    const event = { marker: 'cut-events', pad: 'a'.repeat(70_000) }
    expect(await file.gw.ingestor.events('web_events', [event])).toMatchObject({ accepted: 0, rejected: 1 })
    // 29 characters before the emoji: the 65,536th character is the first half of one.
    const pair = `{"marker":"cut-pairs","pad":"${'📈'.repeat(40_000)}"}`
    expect(await (await ingest(file.gw, 'web_events', [pair])).json()).toMatchObject({ accepted: 0, rejected: 1 })
    const letters = await rows<{ raw: string }>(file.gw.clickhouse('ops'), "SELECT raw FROM dead_letters WHERE stream = 'web_events' AND raw LIKE '{\"marker\":\"cut-%' ORDER BY raw DESC")
    const cut = (raw: string, at = 64 * 1024) => `${raw.slice(0, at)}…[${raw.length} chars]`
    expect(letters.map((l) => l.raw)).toEqual([cut(pair, 64 * 1024 - 1), cut(http), cut(JSON.stringify(event))])
  })

  it('reports at most 100 errors but counts them all', async () => {
    const res = await ingest(file.gw, 'orders', Array.from({ length: 150 }, () => '{}'))
    const body = (await res.json()) as { rejected: number; errors: unknown[] }
    expect(body.rejected).toBe(150)
    expect(body.errors).toHaveLength(100)
  })
})

describe('values reach ClickHouse as sent, rounded the documented way, or are refused per line (issue 10, findings 10 and 11)', () => {
  const order = (i: number, extra: object = {}) => ({ order_id: `v${i}`, ts: new Date(t0).toISOString(), shop_id: 'values', customer_id: 'c', product_id: 'p', category: 'k', quantity: 1, unit_price: 1, status: 'completed', ...extra })
  const errorsOf = async (res: Response) => ((await res.json()) as { accepted: number; errors: { line: number; code: string }[] })

  it('stores 0.123456789 as 0.1235 and refuses 2026-02-30 and epoch seconds instead of changing them', async () => {
    const res = await ingest(file.gw, 'orders', [
      order(1, { unit_price: 0.123456789, unit_cost: '0.00005' }),
      order(2, { ts: '2026-02-30T10:00:00Z' }),
      order(3, { ts: Math.floor(t0 / 1000) }),
      order(4, { ts: '2001-02-03T04:05:06.789Z' }),
    ])
    const body = await errorsOf(res)
    expect(body.errors.map((e) => [e.line, e.code])).toEqual([[2, 'INVALID_VALUE'], [3, 'OUT_OF_RANGE']])
    const stored = await rows<{ order_id: string; unit_price: string; unit_cost: string | null; ts: string }>(
      file.gw.clickhouse('ops'), "SELECT order_id, toString(unit_price) AS unit_price, toString(unit_cost) AS unit_cost, toString(ts) AS ts FROM orders WHERE shop_id = 'values' ORDER BY order_id")
    expect(stored).toEqual([
      { order_id: 'v1', unit_price: '0.1235', unit_cost: '0.0001', ts: new Date(t0).toISOString().replace('T', ' ').replace('Z', '') },
      { order_id: 'v4', unit_price: '1', unit_cost: null, ts: '2001-02-03 04:05:06.789' },
    ])
  })

  it('refuses a price of 1e-300 and a trade older than the TTL with a reason, and stores the lines around them', async () => {
    const res = await ingest(file.gw, 'trades', [
      trade(30, { symbol: 'VALS' }),
      trade(31, { symbol: 'VALS', price: 1e-300 }),
      trade(32, { symbol: 'VALS', ts: Date.now() - 400 * 86_400_000 }),
      trade(33, { symbol: 'VALS', price: '12.345678905' }),
    ])
    const body = await errorsOf(res)
    expect([body.accepted, body.errors.map((e) => [e.line, e.code])]).toEqual([2, [[2, 'OUT_OF_RANGE'], [3, 'OUT_OF_RETENTION']]])
    const stored = await rows<{ id: string; price: string }>(file.gw.clickhouse('ops'), "SELECT id, toString(price) AS price FROM trades WHERE symbol = 'VALS' ORDER BY id")
    expect(stored).toEqual([{ id: 't30', price: '10.3' }, { id: 't33', price: '12.34567891' }])
    const letters = await rows<{ error_code: string }>(file.gw.clickhouse('ops'), "SELECT error_code FROM dead_letters WHERE raw LIKE '%\"VALS\"%' ORDER BY error_code")
    expect(letters.map((l) => l.error_code)).toEqual(['OUT_OF_RANGE', 'OUT_OF_RETENTION'])
  })

  it('refuses by the same retention the raw tables have (their TTL)', async () => {
    const tables = await rows<{ name: string; engine_full: string }>(file.gw.clickhouse('ops'), "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('trades', 'orders', 'web_events')")
    const ttlDays = Object.fromEntries(tables.map((t) => [t.name, /TTL toDateTime\(ts\) \+ toIntervalDay\((\d+)\)/.exec(t.engine_full)?.[1]]))
    expect(Object.fromEntries(streams.map((s) => [s, ttlDays[s] === undefined ? undefined : Number(ttlDays[s])]))).toEqual(retentionDays)
  })
})

describe('ingestion refuses bad requests with the right status', () => {
  const post = async (path: string, init: RequestInit & { headers?: Record<string, string> }) => fetch(`${file.gw.url}${path}`, { method: 'POST', ...init })
  const token = () => tokenFor(['ingest'])
  const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code

  it('401 without a token, 401 with a forged one, 403 without the ingest role', async () => {
    const body = JSON.stringify(trade(1))
    const none = await post('/v1/events/trades', { body })
    expect([none.status, await errorCode(none)]).toEqual([401, 'UNAUTHENTICATED'])
    const forged = await post('/v1/events/trades', { body, headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad' } })
    expect([forged.status, await errorCode(forged)]).toEqual([401, 'INVALID_TOKEN'])
    const expired = await post('/v1/events/trades', { body, headers: { authorization: `Bearer ${await tokenFor(['ingest'], {}, '-1s')}` } })
    expect([expired.status, await errorCode(expired)]).toEqual([401, 'TOKEN_EXPIRED'])
    const trader = await post('/v1/events/trades', { body, headers: { authorization: `Bearer ${await tokenFor(['trader'])}` } })
    expect([trader.status, await errorCode(trader)]).toEqual([403, 'FORBIDDEN'])
  })

  it('404 for an unknown stream, 400 for a wrong content type, bad gzip, bad UTF-8 or an empty body', async () => {
    const auth = { authorization: `Bearer ${await token()}` }
    const unknown = await post('/v1/events/payments', { body: '{}', headers: auth })
    expect([unknown.status, await errorCode(unknown)]).toEqual([404, 'UNKNOWN_STREAM'])
    const form = await post('/v1/events/trades', { body: 'a=1', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' } })
    expect([form.status, await errorCode(form)]).toEqual([400, 'UNSUPPORTED_CONTENT_TYPE'])
    const gz = await post('/v1/events/trades', { body: 'not gzip', headers: { ...auth, 'content-encoding': 'gzip' } })
    expect([gz.status, await errorCode(gz)]).toEqual([400, 'INVALID_BODY'])
    const latin1 = await post('/v1/events/trades', { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: auth })
    expect([latin1.status, await errorCode(latin1)]).toEqual([400, 'INVALID_BODY'])
    const empty = await post('/v1/events/trades', { body: '\n\n', headers: auth })
    expect([empty.status, await errorCode(empty)]).toEqual([400, 'EMPTY_BODY'])
  })

  it('413 for a body over the limit and for a gzip bomb, and the server stays up', async () => {
    const auth = { authorization: `Bearer ${await token()}` }
    const big = await post('/v1/events/trades', { body: 'x'.repeat(13 * 1024 * 1024), headers: auth })
    expect([big.status, await errorCode(big)]).toEqual([413, 'BODY_TOO_LARGE'])
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))
    const exploded = await post('/v1/events/trades', { body: bomb, headers: { ...auth, 'content-encoding': 'gzip' } })
    expect([exploded.status, await errorCode(exploded)]).toEqual([413, 'BODY_TOO_LARGE'])
    expect((await fetch(`${file.gw.url}/health`)).status).toBe(200)
    const after = await ingest(file.gw, 'trades', [trade(99, { symbol: 'AFTER' })])
    expect(await after.json()).toMatchObject({ accepted: 1 })
  })

  it('validated every body of this file on a parse thread, none on the main thread', async () => {
    const metrics = await (await fetch(`${file.gw.url}/metrics`)).text()
    const parsed = (on: string) => Number(new RegExp(`^livehouse_ingest_parsed_bodies_total\\{on="${on}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
    expect(parsed('thread')).toBeGreaterThanOrEqual(8)
    expect(parsed('main')).toBe(0)
  })

  it('answers unknown API routes with the error body and never a stack trace', async () => {
    const res = await fetch(`${file.gw.url}/v1/nope`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } })
  })
})

describe('shutdown', () => {
  it('stops once: a second stop() waits for the first instead of running the steps again', async () => {
    const first = file.gw.stop()
    expect(file.gw.stop()).toBe(first)
    await first
    expect(file.gw.stop()).toBe(first)
  })
})
