import { afterAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unpack } from 'msgpackr'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, noRateLimits } from '../../test/support/gateway-file.ts'
import { getFreePort } from '../../test/support/ports.ts'
import { createApp } from '../app.ts'
import { createCache } from '../cache/cache.ts'
import { breakerClosed, createRedis } from '../cache/redis.ts'
import { createDataVersions, type DataVersions } from '../cache/versions.ts'
import { createLogger } from '../log.ts'
import { createRateLimiter, type RateLimiter } from '../ratelimit/ratelimit.ts'
import { loadCatalog, parseInterval } from './catalog.ts'
import { makeFixtures } from '../../test/support/history-fixtures.ts'
import { formatTime } from './params.ts'
import { rawEquivalents } from '../../test/support/raw-equivalents.ts'
import { createHistoryRoutes } from './routes.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')

const hour = 3600_000
const base = Math.floor(Date.now() / hour) * hour - 3 * hour // closed hours, well inside every TTL
const from = new Date(base).toISOString()
const to = new Date(base + 2 * hour).toISOString()
let admin: string
const namespace = `test-${process.pid}-${Date.now()}`
/** The data versions of the routes this file builds by hand (routesWith): a second gateway's poll. */
let fileVersions: DataVersions
/** The Redis of the routes this file builds by hand (routesWith), closed after the file. */
const testRedis = createRedis(redisUrl, { commandTimeoutMs: 30_000 }) // not the 100 ms default: a loaded machine must not open the breaker these tests do not test
afterAll(() => testRedis.disconnect())

const get = async (path: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${file.gw.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } })

/** Exact comparison that ignores only the spelling of trailing decimal zeros. */
const canon = (v: unknown): unknown => {
  if (v === null || v === undefined) return null
  const s = String(v)
  return /^-?\d+\.\d+$/.test(s) ? s.replace(/0+$/, '').replace(/\.$/, '') : s
}
const pickCanon = (rs: Record<string, unknown>[], cols: string[]) => rs.map((r) => Object.fromEntries(cols.map((c) => [c, canon(r[c])])))

const file = gatewayForFile({ REDIS_URL: redisUrl, CACHE_NAMESPACE: namespace, ...noRateLimits }, async (gw) => {
  admin = await tokenFor(['admin'])
  const f = makeFixtures(base)
  for (const [stream, lines] of [['trades', f.trades], ['orders', f.orders], ['web_events', f.webEvents]] as const) {
    const r = await ingest(gw, stream, lines as object[])
    expect(r.status).toBe(200)
  }
  await ingest(gw, 'trades', [{ ts: base, symbol: 'bad symbol', price: 1, qty: 1, side: 'buy' }])
  const ch = gw.clickhouse('ops')
  await eventually(async () => {
    const [t] = await rows<Record<string, string>>(ch, 'SELECT (SELECT count() FROM trades) AS t, (SELECT count() FROM orders) AS o, (SELECT count() FROM web_events) AS w, (SELECT count() FROM dead_letters) AS d')
    expect([t.t, t.o, t.w, t.d].map(Number)).toEqual([f.trades.length, f.orders.length, f.webEvents.length, 1])
  })
  await ch.command({ query: 'SELECT 1', clickhouse_settings: { output_format_json_quote_decimals: 1 } })
  fileVersions = createDataVersions({ clickhouse: gw.clickhouse('queries', 20) })
  await fileVersions.poll()
  fileVersions.start()
})
afterAll(() => fileVersions?.stop())

describe('catalog equals direct SQL over the raw rows', () => {
  const catalog = loadCatalog()
  it('covers every catalog query', () => expect([...catalog.keys()].sort()).toEqual(Object.keys(rawEquivalents).sort()))
  for (const [name, raw] of Object.entries(rawEquivalents)) {
    it(name, async () => {
      const q = catalog.get(name)!
      const shared: Record<string, string> = { from, to, symbol: 'BTC-USD', shop: 'shop-a' }
      const params = { ...Object.fromEntries(q.params.filter((p) => p.name in shared).map((p) => [p.name, shared[p.name]])), ...raw.params }
      if (q.params.some((p) => p.name === 'window')) params.to = to
      if (q.params.some((p) => p.name === 'as_of')) params.as_of = to
      if (name === 'dead_letters_summary') Object.assign(params, { from: new Date(Date.now() - hour).toISOString(), to: 'now' })
      const res = await get(`/api/v1/q/${name}?${new URLSearchParams(params)}`, admin)
      expect(res.status, await res.clone().text()).toBe(200)
      const body = (await res.json()) as { rows: Record<string, unknown>[] }
      const bound = { from: formatTime(Date.parse(from)), to: formatTime(Date.parse(to)), symbol: 'BTC-USD', shop: 'shop-a', interval: parseInterval(raw.params.interval ?? '0') }
      if (name === 'dead_letters_summary') Object.assign(bound, { from: formatTime(Date.now() - hour), to: formatTime(Date.now() + hour) })
      const expected = await rows(file.gw.clickhouse('ops'), raw.sql, bound)
      expect(expected.length).toBeGreaterThan(0)
      const cols = Object.keys(expected[0])
      expect(pickCanon(body.rows, cols)).toEqual(pickCanon(expected, cols))
    })
  }
})

describe('formats, cache and pagination', () => {
  it('repeats are HITs; CSV and MessagePack carry the same rows', async () => {
    const path = `/api/v1/q/candles?symbol=ETH-USD&interval=1h&from=${from}&to=${to}`
    const first = await get(path, admin)
    expect(first.headers.get('x-cache')).toBe('MISS')
    const json = (await first.json()) as { rows: Record<string, string>[] }
    expect(json.rows).toHaveLength(2)
    const again = await get(path, admin)
    expect(again.headers.get('x-cache')).toBe('HIT')
    const csv = await get(path, admin, { accept: 'text/csv' })
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    const lines = (await csv.text()).trim().split('\r\n')
    expect(lines[0]).toBe('t,open,high,low,close,volume,quote_volume,buy_volume,trades')
    expect(lines[1].split(',')[5]).toBe(json.rows[0].volume)
    const mp = await get(path, admin, { accept: 'application/msgpack' })
    expect(unpack(Buffer.from(await mp.arrayBuffer()))).toEqual(json)
  })

  it('a CSV or MessagePack miss (encoded from the rows it loaded) equals the encoding of the cached text', async () => {
    const replica = routesWith({}) // its own L1, the gateway's Redis namespace: it answers from the cached text
    for (const [accept, symbol] of [['text/csv', 'BTC-USD'], ['application/msgpack', 'SOL-USD']]) {
      const path = `/api/v1/q/candles?symbol=${symbol}&interval=30m&from=${from}&to=${to}`
      const cached = () => testRedis.keys(`${namespace}:lh:q:candles:*`)
      const before = (await cached()).length
      const miss = await get(path, admin, { accept })
      expect(miss.headers.get('x-cache')).toBe('MISS')
      const bytes = Buffer.from(await miss.arrayBuffer())
      expect(bytes.length).toBeGreaterThan(100)
      await eventually(async () => expect((await cached()).length).toBe(before + 1))
      const fromRedis = await replica.request(path, { headers: { authorization: `Bearer ${admin}`, accept } })
      expect(fromRedis.headers.get('x-cache')).toBe('HIT')
      expect(Buffer.from(await fromRedis.arrayBuffer()).equals(bytes)).toBe(true)
    }
  })

  it('pages the trade tape by keyset', async () => {
    const page1 = (await (await get(`/api/v1/q/trades?symbol=BTC-USD&from=${from}&to=${to}&limit=10`, admin)).json()) as { rows: { ts: string; id: string }[] }
    const last = page1.rows.at(-1)!
    const page2 = (await (await get(`/api/v1/q/trades?symbol=BTC-USD&from=${from}&to=${to}&limit=10&before_ts=${encodeURIComponent(last.ts.replace(' ', 'T') + 'Z')}&before_id=${last.id}`, admin)).json()) as { rows: { id: string }[] }
    const all = (await (await get(`/api/v1/q/trades?symbol=BTC-USD&from=${from}&to=${to}&limit=20`, admin)).json()) as { rows: { id: string }[] }
    expect([...page1.rows, ...page2.rows].map((r) => r.id)).toEqual(all.rows.map((r) => r.id))
  })

  it('concurrent misses of one key run the query once (single flight)', async () => {
    let loads = 0
    const cache = createCache()
    const slow = () => new Promise<string>((r) => setTimeout(() => (loads++, r('{"x":1}')), 50))
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.get('k', 10, slow)))
    expect(loads).toBe(1)
    expect(results.every((r) => r.value === '{"x":1}')).toBe(true)
  })

  it('a result touching the open bucket refreshes when the bucket moves', async () => {
    let now = Date.now()
    const app = routesWith({ now: () => now })
    const token = await tokenFor(['trader'])
    const call = async () => {
      const r = await app.request(`/api/v1/q/candles?symbol=SOL-USD&interval=1m&from=-5m&to=now`, { headers: { authorization: `Bearer ${token}` } })
      return { cache: r.headers.get('x-cache'), body: (await r.json()) as { rows: unknown[] } }
    }
    expect((await call()).cache).toBe('MISS')
    expect((await call()).cache).toBe('HIT')
    const ts = Math.floor(now / 60_000) * 60_000 + 60_000 + 1000 // a trade in the next minute
    await ingest(file.gw, 'trades', [{ id: 'open-1', ts, symbol: 'SOL-USD', price: 151.5, qty: 2, side: 'buy' }])
    now = ts + 500 // the clock moves into that minute: a new open bucket
    await eventually(async () => {
      const r = await call()
      expect(r.body.rows.length).toBe(1)
    })
  })
})

describe('roles, entitlements and hostile input', () => {
  it('401 without a token, 403 for the wrong role, 403 for a symbol or shop outside the scope', async () => {
    expect((await fetch(`${file.gw.url}/api/v1/q/candles?symbol=BTC-USD`)).status).toBe(401)
    expect((await get('/api/v1/q/candles?symbol=BTC-USD', 'not-a-jwt')).status).toBe(401)
    const seller = await tokenFor(['seller'], { shops: ['shop-a'] })
    const r1 = await get('/api/v1/q/candles?symbol=BTC-USD', seller)
    expect([r1.status, ((await r1.json()) as { error: { code: string } }).error.code]).toEqual([403, 'FORBIDDEN'])
    const trader = await tokenFor(['trader'], { symbols: ['ETH-USD'] })
    const r2 = await get('/api/v1/q/candles?symbol=BTC-USD', trader)
    expect([r2.status, ((await r2.json()) as { error: { code: string } }).error.code]).toEqual([403, 'NOT_ENTITLED'])
    const r3 = await get('/api/v1/q/sales_overview?shop=shop-b', seller)
    expect(r3.status).toBe(403)
    expect((await get('/api/v1/q/dead_letters_summary', seller)).status).toBe(403)
  })

  it('a scoped caller only ever sees its own symbols and shops', async () => {
    const trader = await tokenFor(['trader'], { symbols: ['ETH-USD'] })
    const stats = (await (await get(`/api/v1/q/symbol_stats?to=${to}&window=2h`, trader)).json()) as { rows: { symbol: string }[] }
    expect(stats.rows.map((r) => r.symbol)).toEqual(['ETH-USD'])
    const seller = await tokenFor(['seller'], { shops: ['shop-a'] })
    const mine = (await (await get(`/api/v1/q/category_breakdown?from=${from}&to=${to}`, seller)).json()) as { rows: { revenue: string }[] }
    const explicit = (await (await get(`/api/v1/q/category_breakdown?from=${from}&to=${to}&shop=shop-a`, admin)).json()) as { rows: { revenue: string }[] }
    expect(mine.rows).toEqual(explicit.rows)
    const nobody = await tokenFor(['seller'], { shops: ['shop-z'] })
    const none = (await (await get(`/api/v1/q/category_breakdown?from=${from}&to=${to}`, nobody)).json()) as { rows: unknown[] }
    expect(none.rows).toEqual([])
  })

  it('injection attempts in every parameter are refused or bound as plain values', async () => {
    const evil = ["x' OR 1=1 --", "'); DROP TABLE trades; --", '1; SELECT 1', '{symbol:String}', '\\', '../../etc/passwd', "0x27", "BTC-USD' UNION SELECT * FROM system.users --"]
    for (const q of loadCatalog().values()) {
      for (const p of q.params) {
        for (const v of evil) {
          const res = await get(`/api/v1/q/${q.name}?${new URLSearchParams({ symbol: 'BTC-USD', [p.name]: v })}`, admin)
          expect([200, 400], `${q.name}.${p.name}=${v}`).toContain(res.status)
          if (res.status === 400) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_PARAMETER')
        }
      }
    }
    const [t] = await rows<{ n: string }>(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM trades')
    expect(Number(t.n)).toBeGreaterThan(0)
  })

  it('rejects unknown and malformed parameters', async () => {
    expect((await get('/api/v1/q/candles?symbol=BTC-USD&nope=1', admin)).status).toBe(400)
    expect((await get('/api/v1/q/candles?symbol=BTC-USD&interval=0', admin)).status).toBe(400)
    expect((await get('/api/v1/q/candles?symbol=BTC-USD&from=yesterday', admin)).status).toBe(400)
    // Before 1970 once resolved: refused here, not by the engine (was 502 CLICKHOUSE_ERROR).
    const ancient = await get('/api/v1/q/candles?symbol=BTC-USD&from=now-999999w', admin)
    expect([ancient.status, ((await ancient.json()) as { error: { code: string } }).error.code]).toEqual([400, 'INVALID_PARAMETER'])
    expect((await get('/api/v1/q/candles', admin)).status).toBe(400)
    expect((await get('/api/v1/q/candles?symbol=BTC-USD&format=xml', admin)).status).toBe(400)
    expect((await get('/api/v1/q/no_such_query', admin)).status).toBe(404)
    expect((await get(`/api/v1/q/candles?symbol=BTC-USD&${'x'.repeat(300)}=1`, admin)).status).toBe(400)
  })

  it('an interval over minute or hour rollups must be whole minutes or hours (@param step)', async () => {
    const refused = async (path: string, step: string) => {
      const res = await get(path, admin)
      const body = (await res.json()) as { error: { code: string; message: string; details: { param: string; step: string } } }
      expect([res.status, body.error.code, body.error.details.step], path).toEqual([400, 'INVALID_PARAMETER', step])
      expect(body.error.message).toContain(step)
    }
    await refused(`/api/v1/q/sales_trend?interval=90s&from=${from}&to=${to}`, '1m')
    await refused(`/api/v1/q/profitability?interval=90m&from=${from}&to=${to}`, '1h')
    await refused(`/api/v1/q/symbol_stats?window=90s&to=${to}`, '1m')
    await refused(`/api/v1/q/top_movers?window=150s&to=${to}`, '1m')
    for (const path of [`sales_trend?interval=2m&from=${from}&to=${to}`, `profitability?interval=2h&from=${from}&to=${to}`, `symbol_stats?window=2m&to=${to}`, `top_movers?window=90m&to=${to}`]) {
      expect((await get(`/api/v1/q/${path}`, admin)).status, path).toBe(200)
    }
    expect((await get(`/api/v1/q/candles?symbol=BTC-USD&interval=90s&from=${from}&to=${to}`, admin)).status).toBe(200) // 1 s rollup: any whole second
    const doc = (await (await fetch(`${file.gw.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, { get: { parameters: { name: string; schema: Record<string, unknown> }[] } }> }
    const interval = doc.paths['/api/v1/q/profitability'].get.parameters.find((p) => p.name === 'interval')!
    expect(interval.schema['x-multiple-of-seconds']).toBe(3600)
    const list = (await (await get('/api/v1/q', admin)).json()) as { queries: { name: string; params: { name: string; step?: number }[] }[] }
    expect(list.queries.find((q) => q.name === 'sales_trend')!.params.find((p) => p.name === 'interval')!.step).toBe(60)
  })

  it('429 with Retry-After under a burst (per token)', async () => {
    const app = routesWith({ limits: { perTokenPerS: 5, perIpPerS: 0 } })
    const token = await tokenFor(['trader'], {}, '1h')
    const statuses = await Promise.all(Array.from({ length: 30 }, () => app.request('/api/v1/q/candles?symbol=BTC-USD', { headers: { authorization: `Bearer ${token}` } })))
    const limited = statuses.filter((r) => r.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await limited[0].json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED')
  })

  it('a token is counted in Redis across replicas: what one replica let through counts on the other', async () => {
    const now = () => 7_000_000 // one window for both replicas
    const [limiterA, limiterB] = [createRateLimiter({ redis: testRedis, namespace, now }), createRateLimiter({ redis: testRedis, namespace, now })]
    const [a, b] = [routesWith({ limiter: limiterA, limits: { perTokenPerS: 5, perIpPerS: 0 } }), routesWith({ limiter: limiterB, limits: { perTokenPerS: 5, perIpPerS: 0 } })]
    const token = auth.sign({ sub: `replicas-${Date.now()}`, roles: ['trader'], symbols: ['*'] }, '1h')
    const call = async (app: typeof a) => (await app.request('/api/v1/q/candles?symbol=BTC-USD', { headers: { authorization: `Bearer ${await token}` } })).status
    for (let i = 0; i < 4; i++) expect(await call(a)).toBe(200)
    await limiterA.flush()
    expect(await call(b)).toBe(200) // b's own count is 1; it has not synced yet
    await limiterB.flush() // b learns a's 4: 5 in all
    expect(await call(b)).toBe(429) // in-process counting alone would allow 3 more
  })
})

describe('queries that fail in ClickHouse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'livehouse-queries-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const query = (name: string, param: string, sql: string) =>
    writeFileSync(join(dir, `${name}.sql`), `-- @description ${name}\n-- @roles trader\n-- @param ${param} UInt32 default=0 : n\n${sql}\n`)
  query('many_rows', 'rows', 'SELECT number FROM system.numbers LIMIT {rows:UInt32}')
  query('endless', 'n', 'SELECT count() FROM system.numbers WHERE number != {n:UInt32}')
  query('failing', 'n', "SELECT throwIf({n:UInt32} = 0, 'engine detail: /var/lib/clickhouse') AS x")
  // One connection per call: a query's timeout stays on its session (chDB keeps per-query settings).
  // Only the timeout test has a short one: on a loaded machine the 1M-row query alone can take over a second.
  let lane = 9
  const call = async (path: string, clickhouse = file.gw.clickhouse('queries', lane++), queryTimeoutS = 300) => {
    const app = routesWith({ catalog: loadCatalog(dir), clickhouse, cache: createCache(), queryTimeoutS })
    const r = await app.request(path, { headers: { authorization: `Bearer ${admin}` } })
    const text = await r.text()
    return { status: r.status, retryAfter: r.headers.get('retry-after'), code: (JSON.parse(text) as { error?: { code: string } }).error?.code, text }
  }

  it('more rows than the cap is 400 RESULT_TOO_LARGE', async () => {
    expect((await call('/api/v1/q/many_rows?rows=1000')).status).toBe(200)
    expect(await call('/api/v1/q/many_rows?rows=1000001')).toMatchObject({ status: 400, code: 'RESULT_TOO_LARGE' })
  }, 300_000)

  it('the next query on the connection of an overflowed result gets its own rows only', async () => {
    // chDB left the overflowed result's partial output for the connection's next query (api/clickhouse/client.ts).
    const ch = file.gw.clickhouse('queries', lane++)
    expect(await call('/api/v1/q/many_rows?rows=1000001', ch)).toMatchObject({ status: 400, code: 'RESULT_TOO_LARGE' })
    const next = await call('/api/v1/q/many_rows?rows=3', ch)
    expect(next.status).toBe(200)
    expect((JSON.parse(next.text) as { rows: { number: unknown }[] }).rows.map((r) => Number(r.number))).toEqual([0, 1, 2])
  }, 300_000)

  it('a query past max_execution_time is 503 QUERY_TIMEOUT with Retry-After', async () => {
    expect(await call('/api/v1/q/endless', file.gw.clickhouse('queries', lane++), 1)).toMatchObject({ status: 503, code: 'QUERY_TIMEOUT', retryAfter: '1' })
  })

  it('any other engine failure is 502 CLICKHOUSE_ERROR without the engine message', async () => {
    const r = await call('/api/v1/q/failing')
    expect(r).toMatchObject({ status: 502, code: 'CLICKHOUSE_ERROR' })
    expect(r.text).not.toMatch(/engine detail|clickhouse\//)
  })
})

describe('catalog listing and OpenAPI', () => {
  it('lists the queries a caller may run and serves an OpenAPI document', async () => {
    const seller = await tokenFor(['seller'])
    const list = (await (await get('/api/v1/q', seller)).json()) as { queries: { name: string; params: { name: string }[] }[] }
    expect(list.queries.map((q) => q.name)).toContain('sales_overview')
    expect(list.queries.map((q) => q.name)).not.toContain('candles')
    const doc = (await (await fetch(`${file.gw.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toContain('/api/v1/q/funnel')
    const responses = (doc.paths['/api/v1/q/funnel'] as { get: { responses: Record<string, { description: string }> } }).get.responses
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '502', '503'])
    expect(responses[400].description).toContain('RESULT_TOO_LARGE')
    const metrics = await (await fetch(`${file.gw.url}/metrics`)).text()
    expect(metrics).toMatch(/livehouse_history_cache_hit_ratio \d/)
  })
})

describe('Redis killed mid-test', { timeout: 300_000 }, () => {
  let redis: ChildProcess | undefined
  let port = 0
  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    const probe = createRedis(`redis://127.0.0.1:${port}`)
    await eventually(async () => expect(await probe.ping()).toBe('PONG'))
    probe.disconnect()
  }
  afterAll(() => void redis?.kill('SIGKILL'))

  it('requests still succeed uncached while it is down and are cached again when it returns', async () => {
    port = await getFreePort()
    await startRedis()
    const client = createRedis(`redis://127.0.0.1:${port}`)
    const cache = createCache({ redis: client, l1MaxEntries: 0 })
    const app = routesWith({ cache })
    const path = `/api/v1/q/sales_overview?from=${from}&to=${to}`
    const call = () => app.request(path, { headers: { authorization: `Bearer ${admin}` } })
    expect((await call()).headers.get('x-cache')).toBe('MISS')
    await eventually(async () => expect((await call()).headers.get('x-cache')).toBe('HIT'))
    redis!.kill('SIGKILL')
    await new Promise((r) => redis!.once('exit', r))
    for (let i = 0; i < 10; i++) {
      const r = await call()
      expect(r.status).toBe(200)
      expect(r.headers.get('x-cache')).toBe('MISS')
    }
    expect(breakerClosed(cache.breaker)).toBe(false)
    await startRedis()
    await eventually(async () => expect((await call()).headers.get('x-cache')).toBe('HIT'), { timeoutMs: 60_000, intervalMs: 200 })
    client.disconnect()
  })
})

interface RoutesOptions {
  now?: () => number
  cache?: ReturnType<typeof createCache>
  limiter?: RateLimiter
  limits?: { perTokenPerS: number; perIpPerS: number }
  catalog?: ReturnType<typeof loadCatalog>
  clickhouse?: ClickHouseClient
  queryTimeoutS?: number
}

/** The historical routes behind the app's own error handler, with their own cache and limiter on the file's Redis. */
function routesWith(o: RoutesOptions) {
  return createApp({
    log: createLogger('silent'), checks: [],
    routes: [createHistoryRoutes({
      auth, catalog: o.catalog ?? loadCatalog(), clickhouse: o.clickhouse ?? file.gw.clickhouse('queries'), cache: o.cache ?? createCache({ redis: testRedis, namespace }),
      limiter: o.limiter ?? createRateLimiter({ redis: testRedis, namespace }), limits: o.limits ?? { perTokenPerS: 0, perIpPerS: 0 }, now: o.now, queryTimeoutS: o.queryTimeoutS,
      versions: o.now ? undefined : fileVersions, // a replica reads the same data versions as the gateway
    })],
  })
}
