import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { eventually } from '../test/support/eventually.ts'
import { ingest, rows } from '../test/support/gateway.ts'
import { gatewayForFile } from '../test/support/gateway-file.ts'
import { killReport, startLoad } from '../test/support/ingest-load.ts'
import { Scrape } from '../ui/src/lib/prom.ts'
// @ts-expect-error plain ESM script without types
import { startKafka, stopKafka } from '../scripts/kafka.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort } from '../scripts/lib/proc.mjs'

// A broker of its own: this file kills it, and other files share npm test's broker.
const kafkaDir = mkdtempSync(join(tmpdir(), 'livehouse-kafka-'))
let broker: { brokers: string; stop(): Promise<void> } | undefined
let brokers: string
// Registered before the gateway's hooks, so the broker stops after the gateway (and its consumer) stopped.
afterAll(async () => {
  await broker?.stop()
  rmSync(kafkaDir, { recursive: true, force: true })
}, 60_000)
const prefix = `t${Date.now().toString(36)}.`
const accepted = new Set<string>()
let seq = 0

const trades = (n: number, symbol = 'KFK') =>
  Array.from({ length: n }, () => ({ id: `k${seq++}`, ts: Date.now(), symbol, price: 100 + (seq % 7), qty: 0.5, side: seq % 2 ? 'buy' : 'sell' }))

async function send(batch: ReturnType<typeof trades>) {
  const res = await ingest(file.gw, 'trades', batch)
  if (res.status === 200) batch.forEach((t) => accepted.add(t.id))
  return res
}

const one = async (sql: string) => Number(Object.values((await rows(file.gw.clickhouse('ops'), sql))[0])[0])
const lags = async () => new Scrape(await (await fetch(`${file.gw.url}/metrics`)).text()).select('livehouse_kafka_consumer_lag_messages').map((s) => s.value)

const file = gatewayForFile(async () => {
  const started = await startKafka({ port: await getFreePort(), dataDir: kafkaDir, fresh: true })
  broker = started
  brokers = started.brokers
  return { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix }
}, undefined, { timeoutMs: 180_000 })

describe('kafkajs → Apache Kafka → the Livehouse consumer → raw tables and rollups', () => {
  it('delivers every accepted event exactly, raw and rolled up', async () => {
    for (let i = 0; i < 5; i++) expect((await send(trades(2000))).status).toBe(200)
    const orders = Array.from({ length: 50 }, (_, i) => ({
      order_id: `o${i}`, ts: Date.now(), shop_id: 'kshop', customer_id: `c${i % 7}`, product_id: 'p1', category: 'cat',
      quantity: 2, unit_price: 9.99, unit_cost: 5, status: 'completed',
    }))
    expect(await (await ingest(file.gw, 'orders', orders)).json()).toMatchObject({ accepted: 50 })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'KFK'")).toBe(accepted.size), { timeoutMs: 60_000 })
    // The raw part can commit a moment before the rollup parts its views write.
    await eventually(async () => expect(await one("SELECT sum(trades) FROM candles_1s WHERE symbol = 'KFK'")).toBe(accepted.size))
    await eventually(async () => expect(await one("SELECT count() FROM orders WHERE shop_id = 'kshop'")).toBe(50))
    await eventually(async () => expect(await one("SELECT toString(sum(revenue)) FROM sales_1m WHERE shop_id = 'kshop'")).toBe(999))
    expect(await one("SELECT uniqExactMerge(orders) FROM sales_1m WHERE shop_id = 'kshop'")).toBe(50)
  }, 120_000)

  it('sends a message that is not JSON to dead_letters and goes on consuming', async () => {
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: `${prefix}trades`, messages: [{ value: '{"id": "broken", "ts": not-json' }] })
    await producer.disconnect()
    const after = trades(100, 'KFK2')
    expect((await send(after)).status).toBe(200)
    // Through the broker and the consumer: as long as the first test's 60 s on a loaded machine.
    await eventually(async () => expect(await one("SELECT count() FROM dead_letters WHERE source = 'kafka' AND stream = 'trades'")).toBeGreaterThanOrEqual(1), { timeoutMs: 60_000 })
    await eventually(async () => expect(await one("SELECT count() FROM trades WHERE symbol = 'KFK2'")).toBe(100), { timeoutMs: 60_000 })
  }, 180_000)

  it('answers 503 KAFKA_UNAVAILABLE with Retry-After while the broker is down', async () => {
    await stopKafka({ dataDir: kafkaDir, signal: 'SIGKILL' })
    try {
      const whileDown = await send(trades(10, 'KFK3'))
      expect(whileDown.status).toBe(503)
      expect(whileDown.headers.get('retry-after')).toBeTruthy()
      expect(((await whileDown.json()) as { error: { code: string } }).error.code).toBe('KAFKA_UNAVAILABLE')
    } finally {
      await startKafka({ dataDir: kafkaDir })
    }
  }, 120_000)

  it('broker SIGKILLed under load and restarted: lost 0, duplicated 0, in trades and in candles (issue 17 item 2)', async () => {
    const load = startLoad({ url: () => file.gw.url, symbol: 'BKILL', batches: 60, batchRows: 500, concurrency: 4 })
    await eventually(() => expect(load.acceptedBatches()).toBeGreaterThanOrEqual(15), { timeoutMs: 120_000, intervalMs: 20 })
    await stopKafka({ dataDir: kafkaDir, signal: 'SIGKILL' })
    await eventually(() => expect(load.retries()).toBeGreaterThan(0), { timeoutMs: 60_000, intervalMs: 20 })
    await startKafka({ dataDir: kafkaDir })
    const { accepted, retries } = await load.done
    expect(accepted.size).toBe(60 * 500)
    await eventually(async () => expect(await one("SELECT uniqExact(id) FROM trades WHERE symbol = 'BKILL'")).toBe(accepted.size), { timeoutMs: 120_000, intervalMs: 500 })
    await eventually(async () => {
      const l = await lags()
      // The series must be there: an absent metric is not a lag of 0.
      expect(l.length).toBeGreaterThan(0)
      expect(l.every((x) => x === 0)).toBe(true)
    }, { timeoutMs: 60_000, intervalMs: 500 })
    const stored = await one("SELECT count() FROM trades WHERE symbol = 'BKILL'")
    const distinct = await one("SELECT uniqExact(id) FROM trades WHERE symbol = 'BKILL'")
    const rollup = await one("SELECT sum(trades) FROM candles_1m WHERE symbol = 'BKILL'")
    const row = killReport('broker kill -9', accepted.size, stored, distinct, accepted.size - distinct, rollup, retries)
    expect(row).toMatchObject({ lost: 0, duplicated: 0, rollupTrades: accepted.size })
  }, 300_000)
})
