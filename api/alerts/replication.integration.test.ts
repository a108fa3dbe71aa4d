// Two gateway replicas on one Redis and one ClickHouse (a chDB data directory served over
// the HTTP interface by this test process): every replica holds every rule, but only the one
// leading a channel evaluates it, so an alert fires once; both replicas' SSE clients get it;
// when the leader dies the other takes the channel over and the next alert fires once there.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { auth, removeDir, startGateway, type TestGateway } from '../../test/support/gateway.ts'
import { startClickHouseHttp, type ClickHouseHttp } from '../../test/support/clickhouse-http.ts'
import { openSse, type SseClient } from '../../test/support/sse-client.ts'

const redisUrl = process.env.LIVEHOUSE_TEST_REDIS_URL
if (!redisUrl) throw new Error('LIVEHOUSE_TEST_REDIS_URL is required (npm test starts a Redis)')

const namespace = `test-alerts-${process.pid}-${Date.now()}`
const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-alerts-ch-'))
let ch: ClickHouseHttp
const replicas: TestGateway[] = []
const streams: SseClient[] = []

beforeAll(async () => {
  ch = await startClickHouseHttp(dataDir)
  const env = { CLICKHOUSE_URL: ch.url, REDIS_URL: redisUrl!, CACHE_NAMESPACE: namespace, LIVE_TICK_MS: '200', INGEST_FLUSH_MS: '20' }
  // One after the other: the first applies the migrations, the second finds them applied.
  replicas.push(await startGateway(env))
  replicas.push(await startGateway(env))
}, 300_000)

afterAll(async () => {
  for (const s of streams) s.close()
  for (const g of replicas) await g.stop()
  for (const g of replicas) removeDir(g.dataDir)
  await ch?.close()
  removeDir(dataDir)
  const redis = new Redis(redisUrl!)
  const keys = await redis.keys(`${namespace}*`)
  if (keys.length) await redis.del(...keys)
  redis.disconnect()
})

const metric = async (gw: TestGateway, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? NaN)
let lastTs = 0
let n = 0
const trades = (...prices: number[]) => prices.map((price) => JSON.stringify({ id: `repl-${++n}`, ts: (lastTs = Math.max(lastTs + 1, Date.now())), symbol: 'REPL', price, qty: 1, side: 'buy' })).join('\n')
const ingest = async (gw: TestGateway, body: string) => {
  const r = await fetch(`${gw.url}/v1/events/trades`, { method: 'POST', body, headers: { authorization: `Bearer ${await auth.sign({ sub: 'i', roles: ['ingest'] }, '1h')}`, 'content-type': 'application/x-ndjson' } })
  expect(r.status, `${await r.text()}\n${gw.output().slice(-3000)}`).toBe(200)
}
const historyCount = async (gw: TestGateway, token: string, rule: string) =>
  ((await (await fetch(`${gw.url}/api/v1/alerts/history?rule=${rule}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { alerts: unknown[] }).alerts.length

describe('alerts with gateway replicas', { timeout: 300_000 }, () => {
  it('fires once across replicas, reaches SSE clients on both, and fires once on the survivor after the leader dies', async () => {
    const [a, b] = replicas
    const token = await auth.sign({ sub: 'repl-trader', roles: ['trader'], symbols: ['REPL'], shops: [] }, '1h')
    await ingest(a, trades(95))
    const r = await fetch(`${a.url}/api/v1/alerts/rules`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'REPL above 100', channel: 'trades', params: { symbol: 'REPL' }, condition: { column: 'price', op: 'crosses_above', value: 100 }, cooldown_s: 0 }),
    })
    expect(r.status, await r.clone().text()).toBe(201)
    const rule = ((await r.json()) as { id: string }).id
    // B learns of the rule through Redis, not by its periodic reload (30 s): this deadline stays well below that.
    await eventually(async () => expect(await metric(b, 'livehouse_alert_rules')).toBe(1), { timeoutMs: 10_000 })
    for (const gw of replicas) streams.push(await openSse(`${gw.url}/api/v1/alerts/stream`, { token }))
    const [sa, sb] = streams

    await ingest(b, trades(99, 101))
    await eventually(() => expect([sa.alerts().length, sb.alerts().length]).toEqual([1, 1]), { timeoutMs: 60_000 })
    expect(sa.alerts()[0].id).toBe(sb.alerts()[0].id)
    await ingest(a, trades(98, 102))
    await eventually(() => expect([sa.alerts().length, sb.alerts().length]).toEqual([2, 2]), { timeoutMs: 60_000 })
    await eventually(async () => expect(await historyCount(a, token, rule)).toBe(2)) // written while delivered
    const fired = await Promise.all(replicas.map((g) => metric(g, 'livehouse_alerts_fired_total')))
    expect([...fired].sort()).toEqual([0, 2]) // one replica led the channel and fired both

    const [leader, survivor] = fired[0] === 2 ? [a, b] : [b, a]
    const survivorStream = leader === a ? sb : sa
    await leader.stop(true) // a crash: its lease runs out (3 s) and the survivor takes the channel over
    await ingest(survivor, trades(97, 103))
    await eventually(() => expect(survivorStream.alerts().map((x) => x.value)).toEqual([101, 102, 103]), { timeoutMs: 60_000 })
    await eventually(async () => expect(await historyCount(survivor, token, rule)).toBe(3))
    expect(await metric(survivor, 'livehouse_alerts_fired_total')).toBe(1)
  })
})
