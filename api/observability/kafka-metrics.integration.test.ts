import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { Scrape } from '../../ui/src/lib/prom.ts'
// @ts-expect-error plain ESM script without types
import { getFreePort, startKafka, stopKafka } from '../../scripts/kafka.mjs'

// Kafka mode: the consumer series come from Livehouse's own Kafka consumer (ingest/kafka-consumer.ts),
// labelled table=kafka_<stream> like the Kafka engine tables it replaced.
// Uses npm test's broker when there is one, else starts a private Apache Kafka (~5 s).
let brokers = process.env.LIVEHOUSE_TEST_KAFKA_BROKERS
let ownDir: string | undefined
const prefix = `m${Date.now().toString(36)}.`

// Registered before the gateway's hooks, so it runs after the gateway (and its consumer) stopped.
afterAll(async () => {
  if (ownDir) {
    await stopKafka({ dataDir: ownDir })
    rmSync(ownDir, { recursive: true, force: true })
  }
}, 60_000)
const file = gatewayForFile(async () => {
  if (!brokers) {
    ownDir = mkdtempSync(join(tmpdir(), 'livehouse-kafka-'))
    const port = await getFreePort()
    await startKafka({ port, dataDir: ownDir, fresh: true })
    brokers = `127.0.0.1:${port}`
  }
  return { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix }
}, undefined, { timeoutMs: 180_000 })

/** The values of the series `name` with `labels` among others (ui/src/lib/prom.ts parses). */
const sample = (text: string, name: string, labels: Record<string, string>) => new Scrape(text).select(name, labels).map((s) => s.value)

describe('Kafka consumer metrics', () => {
  it('reports each Kafka engine consumer with its partitions, messages read and lag, and the kafka sink write latency', async () => {
    const trades = Array.from({ length: 200 }, (_, i) => ({ id: `k${i}`, ts: Date.now(), symbol: 'KMET', price: 10, qty: 1, side: 'buy' }))
    expect((await ingest(file.gw, 'trades', trades)).status).toBe(200)
    await eventually(async () => {
      const [r] = await rows<{ n: string }>(file.gw.clickhouse('ops'), "SELECT count() AS n FROM trades WHERE symbol = 'KMET'")
      expect(Number(r.n)).toBe(200)
    }, { timeoutMs: 60_000 })
    const text = await eventually(async () => {
      const t = await (await fetch(`${file.gw.url}/metrics`)).text()
      expect(sample(t, 'livehouse_kafka_consumer_messages_read', { table: 'kafka_trades' })[0]).toBeGreaterThan(0)
      // Everything produced is in ClickHouse (the count above), so nothing lags: once librdkafka has
      // said so. Its lag comes from its periodic statistics (rdkafka_stat), which can still be the
      // report from before the messages were read when the count already shows them.
      expect(sample(t, 'livehouse_kafka_consumer_lag_messages', { table: 'kafka_trades' })).toEqual([0])
      return t
    }, { timeoutMs: 60_000 })
    expect(sample(text, 'livehouse_kafka_consumer_partitions', { table: 'kafka_trades' })[0]).toBeGreaterThanOrEqual(1)
    // A consumer that polled before its topic was auto-created holds an "unknown topic" exception: reported, not asserted away.
    for (const table of ['kafka_trades', 'kafka_orders', 'kafka_web_events']) expect(sample(text, 'livehouse_kafka_consumer_recent_exceptions', { table })).toHaveLength(1)
    expect(sample(text, 'livehouse_kafka_consumer_last_poll_timestamp_seconds', { table: 'kafka_trades' })[0]).toBeGreaterThan(Date.now() / 1000 - 60)
    expect(sample(text, 'livehouse_ingest_batch_write_seconds_count', { sink: 'kafka', stream: 'trades', outcome: 'ok' })[0]).toBeGreaterThanOrEqual(1)
    expect(new Scrape(text).select('livehouse_clickhouse_scrape_ok').map((s) => s.labels)).toEqual([{}]) // one series, no labels
    expect(text).toMatch(/^livehouse_clickhouse_scrape_ok 1$/m)
  }, 120_000)
})
