// A Kafka consumer in a process of its own, for ingest/kafka-consumer.integration.test.ts:
//   --die   kills itself (SIGKILL) right after its first unit is written, before the commit;
//   --drain consumes until nothing is left, prints the row counts as JSON and exits.
// Usage: tsx test/support/kafka-consumer-process.ts <dataDir> <brokers> <topicPrefix> <group> --die|--drain
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { createLanePool } from '../../ingest/batcher.ts'
import { createKafkaConsumer } from '../../ingest/kafka-consumer.ts'

const [dataDir, brokers, topicPrefix, groupId, mode] = process.argv.slice(2)
const ch = createClickHouse({ dataDir }, 'ingest')
await applyMigrations(createClickHouse({ dataDir }, 'migrations'))
const log = { info: (msg: string) => console.error(msg), warn: (msg: string) => console.error(msg) }
const consumer = await createKafkaConsumer({
  brokers: [brokers], topicPrefix, groupId, chs: [ch], lanes: createLanePool(1), dedup: true, batchRows: 50_000, log,
  afterStore: async () => {
    if (mode === '--die') process.kill(process.pid, 'SIGKILL')
  },
})
if (mode === '--drain') {
  const count = async (q: string) => Number((await (await ch.query({ query: q, format: 'JSONEachRow' })).json<{ n: string }>())[0].n)
  // Drained: the lag is 0 for two seconds in a row after something was read.
  let quiet = 0
  while (quiet < 20) {
    await new Promise((r) => setTimeout(r, 100))
    const stats = consumer.stats()
    quiet = stats.some((s) => s.messagesRead > 0) && stats.every((s) => s.lag === 0) ? quiet + 1 : 0
  }
  const result = {
    stored: await count('SELECT count() AS n FROM trades'),
    distinct: await count('SELECT uniqExact(id) AS n FROM trades'),
    candles: await count('SELECT sum(trades) AS n FROM candles_1m'),
  }
  await consumer.stop()
  console.log(JSON.stringify(result))
  process.exit(0)
}
