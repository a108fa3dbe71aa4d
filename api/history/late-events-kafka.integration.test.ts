// A late order line produced straight to the Kafka topic (any producer, not the gateway: the
// ClickHouse Kafka engine stores it, the gateway never sees the row) still reaches a cached
// closed-range answer within seconds: the data versions are counted by the engine's views.
import { Kafka, logLevel, type Producer } from 'kafkajs'
import { afterAll, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows, tokenFor } from '../../test/support/gateway.ts'
import { gatewayForFile, noRateLimits } from '../../test/support/gateway-file.ts'
import { formatTime } from './params.ts'

const brokers = process.env.LIVEHOUSE_TEST_KAFKA_BROKERS
if (!brokers) throw new Error('LIVEHOUSE_TEST_KAFKA_BROKERS is required (npm test starts a broker)')

const minute = 60_000
const prefix = `late${Date.now().toString(36)}.`
let producer: Producer

const count = async (shop: string) => Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), 'SELECT count() AS n FROM orders WHERE shop_id = {shop:String}', { shop }))[0].n)

const file = gatewayForFile({ KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, ...noRateLimits }, async () => {
  producer = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: true })
  await producer.connect()
})
afterAll(async () => {
  await producer?.disconnect()
}, 60_000)

it('a line produced to Kafka 35 minutes late is seen in a cached closed-range answer', async () => {
  const shop = 'late-kafka'
  const t = Math.floor((Date.now() - 35 * minute) / minute) * minute
  expect((await ingest(file.gw, 'orders', [{ order_id: 'k1', ts: t - 5 * minute, shop_id: shop, customer_id: 'c1', product_id: 'p', category: 'x', quantity: 1, unit_price: 10, status: 'completed' }])).status).toBe(200)
  await eventually(async () => expect(await count(shop)).toBe(1), { timeoutMs: 60_000 })
  const seller = await tokenFor(['seller'])
  const path = `${file.gw.url}/api/v1/q/sales_overview?shop=${shop}&from=${new Date(t - 10 * minute).toISOString()}&to=${new Date(t + 5 * minute).toISOString()}`
  const call = async () => {
    const res = await fetch(path, { headers: { authorization: `Bearer ${seller}` } })
    return { cache: res.headers.get('x-cache'), rows: ((await res.json()) as { rows: { revenue: string }[] }).rows.map((r) => r.revenue) }
  }
  await eventually(async () => expect(await call()).toEqual({ cache: 'HIT', rows: ['10'] }), { timeoutMs: 30_000, intervalMs: 200 })
  // Straight to the topic, as any producer would write it.
  const late = { order_id: 'k2', ts: formatTime(Date.now() - 35 * minute), shop_id: shop, customer_id: 'c2', product_id: 'p', category: 'x', quantity: 3, unit_price: '2.50', unit_cost: null, currency: 'USD', status: 'completed', country: '' }
  await producer.send({ topic: `${prefix}orders`, acks: -1, messages: [{ value: JSON.stringify(late) }] })
  await eventually(async () => expect(await count(shop)).toBe(2), { timeoutMs: 60_000 })
  await eventually(async () => expect((await call()).rows).toEqual(['17.5']), { timeoutMs: 30_000, intervalMs: 200 })
}, 180_000)
