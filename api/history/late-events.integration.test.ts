// Cached catalog answers see late events, however late (issue 17 item 5): a closed range is
// cached for 24 h, and only the data versions in its key (api/cache/versions.ts) make a late
// row visible. Through the gateway's embedded INSERT path here; the Kafka engine path is in
// late-events-kafka.integration.test.ts. `eventually` waits; the seconds it takes are in bench/.
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, noRateLimits } from '../../test/support/gateway-file.ts'
import { createApp } from '../app.ts'
import { createCache } from '../cache/cache.ts'
import { createRedis } from '../cache/redis.ts'
import { createDataVersions, type DataVersions } from '../cache/versions.ts'
import { createLogger } from '../log.ts'
import { createRateLimiter } from '../ratelimit/ratelimit.ts'
import { LiveClient } from '../../test/support/live-client.ts'
import { loadCatalog } from './catalog.ts'
import { createHistoryRoutes } from './routes.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')

const minute = 60_000
const day = 86_400_000
const namespace = `late-${process.pid}-${Date.now()}`
let seller: string
const redis = createRedis(redisUrl)
// Registered before the gateway's hooks: this Redis client closes after the gateway stopped.
afterAll(() => redis.disconnect())
const stops: (() => unknown)[] = []

const iso = (ms: number) => new Date(ms).toISOString()
const line = (shop: string, id: string, ts: number, quantity: number, unitPrice: number, status = 'completed') =>
  ({ order_id: id, ts, shop_id: shop, customer_id: `c-${id}`, product_id: 'p-1', category: 'shoes', quantity, unit_price: unitPrice, unit_cost: 1, status })
/** Ingests and waits until ClickHouse holds the rows, so a later answer can only differ through the cache. */
async function store(lines: ReturnType<typeof line>[]) {
  const shops = [...new Set(lines.map((l) => l.shop_id))]
  const count = async () => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM orders WHERE shop_id IN {shops:Array(String)}', { shops }))[0].n)
  const before = await count()
  expect((await ingest(file.gw, 'orders', lines)).status).toBe(200)
  await eventually(async () => expect(await count()).toBe(before + lines.length))
}

type Fetch = (path: string) => Promise<Response>
const viaGateway: Fetch = (path) => fetch(`${file.gw.url}${path}`, { headers: { authorization: `Bearer ${seller}` } })
async function answer(call: Fetch, path: string) {
  const res = await call(path)
  expect(res.status, await res.clone().text()).toBe(200)
  return { cache: res.headers.get('x-cache'), rows: ((await res.json()) as { rows: Record<string, unknown>[] }).rows }
}
/** Calls until the answer is served from the cache, and returns it. */
const cached = (call: Fetch, path: string) => eventually(async () => {
  const a = await answer(call, path)
  expect(a.cache).toBe('HIT')
  return a.rows
}, { timeoutMs: 30_000, intervalMs: 200 })

// Live queries re-read an hour back, so the live channel sees the same late rows as the catalog.
const file = gatewayForFile({ REDIS_URL: redisUrl, CACHE_NAMESPACE: namespace, ...noRateLimits, LIVE_TICK_MS: '200', LIVE_LATENESS_MS: '3600000' }, async () => {
  seller = await tokenFor(['seller'])
})
afterAll(async () => {
  for (const s of stops) await s()
})

describe('a cached closed range sees a late line', () => {
  it('35 minutes late: seen in the answer within seconds, without waiting out the 24 h TTL', async () => {
    const t = Math.floor((Date.now() - 35 * minute) / minute) * minute
    await store([line('late-35', 'a1', t - 5 * minute, 1, 10)])
    const path = `/api/v1/q/sales_overview?shop=late-35&from=${iso(t - 10 * minute)}&to=${iso(t + 5 * minute)}`
    expect((await cached(viaGateway, path)).map((r) => r.revenue)).toEqual(['10'])
    await store([line('late-35', 'a2', Date.now() - 35 * minute, 2, 21.5)])
    await eventually(async () => expect((await answer(viaGateway, path)).rows.map((r) => [r.revenue, r.orders])).toEqual([['53', '2']]), { timeoutMs: 30_000, intervalMs: 200 })
  })

  it('10 days late, and a refund 10 days late: the hour answer moves each time', async () => {
    const t = Math.floor((Date.now() - 10 * day) / 3_600_000) * 3_600_000
    await store([line('late-10d', 'b1', t + 5 * minute, 1, 100)])
    const path = `/api/v1/q/sales_trend?shop=late-10d&interval=1h&from=${iso(t - 3_600_000)}&to=${iso(t + 2 * 3_600_000)}`
    expect((await cached(viaGateway, path)).map((r) => r.value)).toEqual(['100'])
    await store([line('late-10d', 'b1', t + 30 * minute, 1, 100, 'refunded'), line('late-10d', 'b2', t + 40 * minute, 3, 7)])
    await eventually(async () => expect((await answer(viaGateway, path)).rows.map((r) => r.value)).toEqual(['21']), { timeoutMs: 30_000, intervalMs: 200 })
  })

  it('only a line on a day the answer covers changes its key (versions are per day)', async () => {
    // Versions polled by hand, no grace: each step is exactly one reading.
    const versions = createDataVersions({ clickhouse: file.gw.clickhouse('queries', 6), graceMs: 0 })
    const own = routesWith(versions)
    const t = Math.floor((Date.now() - 5 * day) / day) * day + 10 * 3_600_000
    await store([line('late-other', 'c1', t, 1, 5)])
    await versions.poll()
    const path = `/api/v1/q/sales_trend?shop=late-other&interval=1h&from=${iso(t)}&to=${iso(t + 3_600_000)}`
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ value: '5' }] })
    await store([line('late-other', 'c2', t - 2 * day, 1, 5), line('late-other', 'c3', t + day, 1, 5)]) // days this answer does not cover
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'HIT', rows: [{ value: '5' }] })
    await store([line('late-other', 'c4', t + 3 * 3_600_000, 1, 5)]) // its day, outside its hours: a new key, the same answer
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ value: '5' }] })
    await store([line('late-other', 'c5', t + 10 * minute, 1, 5)])
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ value: '10' }] })
  })

  it('a closed range of recent hours keeps its key while rows arrive now (versions are per hour since yesterday)', async () => {
    const versions = createDataVersions({ clickhouse: file.gw.clickhouse('queries', 6), graceMs: 0 })
    const own = routesWith(versions)
    const t = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000
    await store([line('late-hour', 'h1', t + 10 * minute, 1, 5)])
    await versions.poll()
    const path = `/api/v1/q/top_products?shop=late-hour&from=${iso(t)}&to=${iso(t + 3_600_000)}`
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ revenue: '5' }] })
    await store([line('late-hour', 'h2', Date.now(), 1, 5), line('late-hour', 'h3', t + 3_600_000 + minute, 1, 5)]) // now, and the next hour
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'HIT', rows: [{ revenue: '5' }] })
    await store([line('late-hour', 'h4', t + 59 * minute, 2, 5)]) // its own hour, an hour and a bit late
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ revenue: '15' }] })
  })
})

describe('minutes ago', () => {
  it('a closed range ending a few minutes ago keeps its key while rows arrive now (versions are per minute since the previous hour)', async () => {
    const versions = createDataVersions({ clickhouse: file.gw.clickhouse('queries', 6), graceMs: 0 })
    const own = routesWith(versions)
    const to = Math.floor(Date.now() / minute) * minute - 2 * minute
    await store([line('late-min', 'm1', to - 5 * minute, 1, 5)])
    await versions.poll()
    const path = `/api/v1/q/sales_trend?shop=late-min&interval=1m&from=${iso(to - 10 * minute)}&to=${iso(to)}`
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ value: '5' }] })
    await store([line('late-min', 'm2', Date.now(), 1, 5)])
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'HIT', rows: [{ value: '5' }] })
    await store([line('late-min', 'm3', to - 5 * minute + 30_000, 1, 5)]) // its own minute, minutes late
    await versions.poll()
    expect(await answer(own, path)).toMatchObject({ cache: 'MISS', rows: [{ value: '10' }] })
  })
})

describe('replicas sharing Redis', () => {
  it('both answer from one cached entry, and both see the late line within seconds', async () => {
    // A second gateway's catalog: its own in-process cache and versions poll, the same Redis and engine.
    const versions = createDataVersions({ clickhouse: file.gw.clickhouse('queries', 7) })
    await versions.poll()
    versions.start()
    stops.push(() => versions.stop())
    const viaReplica = routesWith(versions)
    const t = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000
    await store([line('late-rep', 'd1', t + minute, 2, 4)])
    const path = `/api/v1/q/top_products?shop=late-rep&from=${iso(t)}&to=${iso(t + 3_600_000)}`
    const first = await cached(viaGateway, path)
    // The replica's first call is answered from what the gateway cached in Redis.
    await eventually(async () => expect(await answer(viaReplica, path)).toEqual({ cache: 'HIT', rows: first }), { timeoutMs: 30_000, intervalMs: 200 })
    await store([line('late-rep', 'd2', t + 50 * minute, 1, 4, 'refunded')])
    for (const call of [viaGateway, viaReplica]) {
      await eventually(async () => expect((await answer(call, path)).rows.map((r) => [r.revenue, r.refunds])).toEqual([['4', '4']]), { timeoutMs: 30_000, intervalMs: 200 })
    }
  })
})

describe('the live channel and the catalog side by side', () => {
  it('agree per minute on net revenue and units after late sales and refunds', async () => {
    const shop = 'late-live'
    const now = Date.now()
    const from = Math.floor((now - 50 * minute) / minute) * minute
    const to = from + 30 * minute // closed: it ends 20 minutes ago
    await store([line(shop, 'e1', from + 2 * minute, 1, 10), line(shop, 'e2', from + 12 * minute, 2, 10)])
    const c = await LiveClient.connect(file.gw.url, { token: seller })
    stops.push(() => c.close())
    c.subscribe(1, 'sales', { shop, interval: '1m' })
    const trend = (metric: string) => `/api/v1/q/sales_trend?shop=${shop}&interval=1m&metric=${metric}&from=${iso(from)}&to=${iso(to)}`
    await cached(viaGateway, trend('revenue'))
    await cached(viaGateway, trend('units'))
    // Late: a sale into a minute that had none, another into a minute that had one, a refund of e1.
    await store([line(shop, 'e3', from + 7 * minute, 4, 2.5), line(shop, 'e2b', from + 12 * minute + 30_000, 1, 3), line(shop, 'e1', from + 20 * minute, 1, 10, 'refunded')])
    const live = (col: number) => c.rows(1).filter((r) => (r[0] as number) >= from && (r[0] as number) < to).map((r) => [iso(r[0] as number), r[1], String(r[col])])
    const catalog = async (metric: string) => (await answer(viaGateway, trend(metric))).rows.map((r) => [iso(Date.parse(`${String(r.t).replace(' ', 'T')}Z`)), r.currency, r.value])
    await eventually(async () => {
      const revenue = await catalog('revenue')
      expect(revenue).toEqual(live(2))
      expect(revenue.map((r) => r[2])).toEqual(['10', '10', '23', '-10'])
      expect(await catalog('units')).toEqual(live(4))
    }, { timeoutMs: 30_000, intervalMs: 200 })
  })
})

/** Another gateway's catalog routes: its own in-process cache and the given versions, the same Redis and engine. */
function routesWith(versions: DataVersions): Fetch {
  const app = createApp({
    log: createLogger('silent'), checks: [],
    routes: [createHistoryRoutes({
      auth, catalog: loadCatalog(), clickhouse: file.gw.clickhouse('queries', 8), cache: createCache({ redis, namespace }),
      limiter: createRateLimiter({ redis, namespace }), limits: { perTokenPerS: 0, perIpPerS: 0 }, versions,
    })],
  })
  return async (path) => app.request(path, { headers: { authorization: `Bearer ${seller}` } })
}
