// A Kafka consumer in a process of its own, for ingest/kafka-consumer.integration.test.ts:
//   --die   kills itself (SIGKILL) right after its first unit is written, before the commit;
//   --drain consumes until nothing is left, prints the row counts as JSON and exits;
//   --crash-once drains too, but after writing its first unit, before committing it, throws an error kafkajs does not retry
//     (as KafkaJSGroupCoordinatorNotFound does while a restarted broker loads), which stops a kafkajs consumer for good.
// Either drain gives up after 150 s and prints what it has: rows stored, and offsets not committed on the broker.
// Usage: tsx test/support/kafka-consumer-process.ts <dataDir> <brokers> <topicPrefix> <group> --die|--drain|--crash-once
import { Kafka, logLevel } from 'kafkajs'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { applyMigrations } from '../../api/clickhouse/migrate.ts'
import { createLanePool } from '../../ingest/batcher.ts'
import { createKafkaConsumer } from '../../ingest/kafka-consumer.ts'

const [dataDir, brokers, topicPrefix, groupId, mode] = process.argv.slice(2)
const ch = createClickHouse({ dataDir }, 'ingest')
await applyMigrations(createClickHouse({ dataDir }, 'migrations'))
const log = { info: (msg: string) => console.error(msg), warn: (msg: string) => console.error(msg) }
let crashes = mode === '--crash-once' ? 1 : 0
const consumer = await createKafkaConsumer({
  brokers: [brokers], topicPrefix, groupId, chs: [ch], lanes: createLanePool(1), dedup: true, batchRows: 50_000, log,
  afterStore: async () => {
    if (mode === '--die') process.kill(process.pid, 'SIGKILL')
    // retriable: false, as kafkajs marks KafkaJSGroupCoordinatorNotFound (a plain error is retried in place).
    if (crashes-- > 0) throw Object.assign(new Error('injected: an error kafkajs does not retry'), { retriable: false })
  },
})
if (mode === '--drain' || mode === '--crash-once') {
  const count = async (q: string) => Number((await (await ch.query({ query: q, format: 'JSONEachRow' })).json<{ n: string }>())[0].n)
  // Offsets the broker holds as committed, short of the end: stored rows are not enough, as a unit is stored before it is committed.
  const admin = new Kafka({ clientId: 'drain-check', brokers: [brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  const topic = `${topicPrefix}trades`
  const uncommitted = async () => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
    let behind = 0
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const c = Number(committed.partitions.find((x) => x.partition === p.partition)?.offset ?? -1)
      behind += Number(p.high) - Math.max(c, Number(p.low))
    }
    return behind
  }
  // Drained: nothing uncommitted, twice in a row a second apart, after something was read.
  let quiet = 0
  const deadline = Date.now() + 150_000
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000))
    quiet = consumer.stats().some((s) => s.messagesRead > 0) && (await uncommitted()) === 0 ? quiet + 1 : 0
  }
  const result = {
    uncommitted: await uncommitted(),
    stored: await count('SELECT count() AS n FROM trades'),
    distinct: await count('SELECT uniqExact(id) AS n FROM trades'),
    candles: await count('SELECT sum(trades) AS n FROM candles_1m'),
  }
  await admin.disconnect()
  await consumer.stop()
  console.log(JSON.stringify(result))
  process.exit(0)
}
