import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { eventually } from '../test/support/eventually.ts'
import { ingest, rows, startInProcess } from '../test/support/gateway.ts'
// @ts-expect-error plain ESM script without types
import { startKafka, stopKafka } from '../scripts/kafka.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../scripts/lib/proc.mjs'

// A broker of its own: this file kills it, and other files share npm test's broker.
const kafkaDir = mkdtempSync(join(tmpdir(), 'livehouse-kafka-'))
let broker: { brokers: string; stop(): Promise<void> }
let brokers: string

type Gateway = Awaited<ReturnType<typeof startInProcess>>
let gw: Gateway
const prefix = `t${Date.now().toString(36)}.`
const accepted = new Set<string>()
let seq = 0

const trades = (n: number, symbol = 'KFK') =>
  Array.from({ length: n }, () => ({ id: `k${seq++}`, ts: Date.now(), symbol, price: 100 + (seq % 7), qty: 0.5, side: seq % 2 ? 'buy' : 'sell' }))

async function send(batch: ReturnType<typeof trades>) {
  const res = await ingest(gw, 'trades', batch)
  if (res.status === 200) batch.forEach((t) => accepted.add(t.id))
  return res
}

const one = async (sql: string) => Number(Object.values((await rows(gw.clickhouse('ops'), sql))[0])[0])

beforeAll(async () => {
  broker = await startKafka({ port: await getFreePort(), dataDir: kafkaDir, fresh: true })
  brokers = broker.brokers
  gw = await startInProcess({ KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix })
}, 180_000)
afterAll(async () => {
  await gw?.stop()
  await broker?.stop()
  rmSync(kafkaDir, { recursive: true, force: true })
}, 60_000)

describe('kafkajs → Apache Kafka → ClickHouse Kafka engine → raw tables and rollups', () => {
  it('delivers every accepted event exactly, raw and rolled up', async () => {
    for (let i = 0; i < 5; i++) expect((await send(trades(2000))).status).toBe(200)
    const orders = Array.from({ length: 50 }, (_, i) => ({
      order_id: `o${i}`, ts: Date.now(), shop_id: 'kshop', customer_id: `c${i % 7}`, product_id: 'p1', category: 'cat',
      quantity: 2, unit_price: 9.99, unit_cost: 5, status: 'completed',
    }))
    expect(await (await ingest(gw, 'orders', orders)).json()).toMatchObject({ accepted: 50 })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'KFK'")).toBe(accepted.size), { timeoutMs: 60_000 })
    // The raw part can commit a moment before the rollup parts its views write.
    await eventually(async () => expect(await one("SELECT sum(trades) FROM candles_1s WHERE symbol = 'KFK'")).toBe(accepted.size))
    await eventually(async () => expect(await one("SELECT count() FROM orders WHERE shop_id = 'kshop'")).toBe(50))
    await eventually(async () => expect(await one("SELECT toString(sum(revenue)) FROM sales_1m WHERE shop_id = 'kshop'")).toBe(999))
    expect(await one("SELECT uniqExactMerge(orders) FROM sales_1m WHERE shop_id = 'kshop'")).toBe(50)
  }, 120_000)

  it('sends a message ClickHouse cannot parse to dead_letters and goes on consuming', async () => {
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: `${prefix}trades`, messages: [{ value: '{"id": "broken", "ts": not-json' }] })
    await producer.disconnect()
    const after = trades(100, 'KFK2')
    expect((await send(after)).status).toBe(200)
    await eventually(async () => expect(await one("SELECT count() FROM dead_letters WHERE source = 'kafka' AND stream = 'trades'")).toBeGreaterThanOrEqual(1), { timeoutMs: 30_000 })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'KFK2'")).toBe(100), { timeoutMs: 30_000 })
  }, 60_000)

  it('loses no accepted event when the broker is killed and restarted; answers 503 while it is down', async () => {
    const killed = send(trades(1000, 'KFK3'))
    await stopKafka({ dataDir: kafkaDir, signal: 'SIGKILL' })
    await killed
    const whileDown = await send(trades(10, 'KFK3'))
    expect(whileDown.status).toBe(503)
    expect(whileDown.headers.get('retry-after')).toBeTruthy()
    expect(((await whileDown.json()) as { error: { code: string } }).error.code).toBe('KAFKA_UNAVAILABLE')
    await startKafka({ dataDir: kafkaDir })
    await eventually(async () => expect((await send(trades(500, 'KFK3'))).status).toBe(200), { timeoutMs: 60_000, intervalMs: 1000 })
    const ids = [...accepted]
    await eventually(
      async () => {
        const [{ missing }] = await rows<{ missing: string }>(
          gw.clickhouse('ops'),
          'SELECT length(arrayFilter(x -> NOT has(stored, x), {ids:Array(String)})) AS missing FROM (SELECT groupArray(id) AS stored FROM trades)',
          { ids },
        )
        expect(Number(missing)).toBe(0)
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    )
    // At-least-once: a batch answered 503 while the broker died may still have landed; report how often (docs/operations.md).
    const [dup] = await rows<{ stored: string; distinct: string }>(gw.clickhouse('ops'), "SELECT count() AS stored, uniqExact(id) AS distinct FROM trades WHERE startsWith(symbol, 'KFK')")
    console.log(`kafka failover: accepted ${accepted.size}, stored ${dup.stored}, distinct ${dup.distinct}, duplicates ${Number(dup.stored) - Number(dup.distinct)}`)
    expect(Number(dup.distinct)).toBeGreaterThanOrEqual(accepted.size)
  }, 240_000)
})
