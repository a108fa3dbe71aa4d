// Series read from ClickHouse at scrape time through the `ops` client: Kafka engine
// consumers (system.kafka_consumers), data freshness, and what storing costs the engine (parts
// written per table, merges). Three cheap queries per scrape, shared by every series; a failed
// or slow read sets livehouse_clickhouse_scrape_ok 0.
import type { ClickHouseClient } from '@clickhouse/client'
import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * One row per Kafka engine consumer. ClickHouse 26.7 has no lag column: the lag comes
 * from librdkafka's statistics JSON (`rdkafka_stat`, refreshed every 3 s), summed over
 * the consumer's partitions ('-1' is librdkafka's internal partition; -1 lag = unknown).
 */
export const lagSql = (stat: string) =>
  `arraySum(arrayMap(t -> arraySum(arrayMap(p -> if(p.1 = '-1', 0, greatest(JSONExtractInt(p.2, 'consumer_lag'), 0)),
        JSONExtractKeysAndValuesRaw(t.2, 'partitions'))), JSONExtractKeysAndValuesRaw(${stat}, 'topics')))`

export const kafkaConsumersSql = `
SELECT
    database, table, consumer_id,
    ${lagSql('rdkafka_stat')} AS lag,
    length(assignments.partition_id) AS partitions,
    num_messages_read, num_commits, num_rebalance_revocations,
    length(exceptions.time) AS recent_exceptions,
    if(length(exceptions.time) > 0, toUnixTimestamp(arrayMax(exceptions.time)), 0) AS last_exception_s,
    toUnixTimestamp(last_poll_time) AS last_poll_s,
    is_currently_used
FROM system.kafka_consumers
WHERE database = currentDatabase()`

/**
 * Newest received_at of each raw table, read from its newest part only (the one
 * holding the highest block number), and the newest bucket of candles_1s from
 * today's partitions: a scrape never scans a whole table.
 */
const rawTables = ['trades', 'orders', 'web_events'] as const
export const freshnessSql = [
  ...rawTables.map(
    (t) => `SELECT '${t}' AS table, toUnixTimestamp64Milli(maxOrNull(received_at)) AS newest_ms FROM ${t}
WHERE _part IN (SELECT name FROM system.parts WHERE database = currentDatabase() AND table = '${t}' AND active ORDER BY max_block_number DESC LIMIT 2)`,
  ),
  `SELECT 'candles_1s' AS table, toUnixTimestamp(maxOrNull(bucket)) * 1000 AS newest_ms FROM candles_1s WHERE bucket >= now() - INTERVAL 1 DAY`,
].join('\nUNION ALL\n')

/**
 * What storing costs, per table of the application's database: the highest block number of its
 * parts (every part an INSERT writes takes the next one, in this engine's MergeTree: parts
 * written so far); the merges running now on them, and merges started since the engine started.
 */
export const storageCostSql = `
SELECT 'parts' AS kind, table, toFloat64(max(max_block_number)) AS value FROM system.parts WHERE database = currentDatabase() GROUP BY table
UNION ALL
SELECT 'merging' AS kind, '' AS table, toFloat64(count()) AS value FROM system.merges WHERE database = currentDatabase()
UNION ALL
SELECT 'merges' AS kind, '' AS table, toFloat64(sum(value)) AS value FROM system.events WHERE event = 'Merge'`

interface StorageCost {
  partsWritten: Map<string, number>
  mergesRunning: number
  mergesStarted: number
}

export interface ConsumerRow {
  database: string
  table: string
  consumer_id: string
  lag: number
  partitions: number
  num_messages_read: number
  num_commits: number
  num_rebalance_revocations: number
  recent_exceptions: number
  last_exception_s: number
  last_poll_s: number
  is_currently_used: number
}

interface Snapshot {
  ok: boolean
  consumers: ConsumerRow[]
  newestMs: Map<string, number>
  cost?: StorageCost
  atMs: number
}

/**
 * Registers the ClickHouse-backed series on `registry`; each scrape reads ClickHouse at most once per `minIntervalMs`.
 * `consumers`: Kafka consumers running outside ClickHouse (Livehouse's own, ingest/kafka-consumer.ts), reported with the same series.
 */
export function registerClickHouseMetrics(registry: Registry, ch: ClickHouseClient, options: { timeoutMs?: number; minIntervalMs?: number; now?: () => number; consumers?: () => ConsumerRow[] } = {}) {
  const timeoutMs = options.timeoutMs ?? 2000
  const minIntervalMs = options.minIntervalMs ?? 1000
  const now = options.now ?? Date.now
  let last: Promise<Snapshot> | undefined
  let lastAt = 0

  const snapshot = () => {
    if (!last || now() - lastAt >= minIntervalMs) {
      lastAt = now()
      const own = () => options.consumers?.() ?? []
      last = read(ch, timeoutMs).then(
        (r) => ({ ok: true, ...r, consumers: [...r.consumers, ...own()], atMs: now() }),
        () => ({ ok: false, consumers: own(), newestMs: new Map(), atMs: now() }),
      )
    }
    return last
  }
  const registers = [registry]
  const perConsumer = (name: string, help: string, value: (r: ConsumerRow) => number) =>
    new Gauge({
      name, help, labelNames: ['table', 'consumer'] as const, registers,
      async collect() {
        this.reset()
        for (const r of (await snapshot()).consumers) this.set({ table: r.table, consumer: r.consumer_id }, Number(value(r)))
      },
    })

  new Gauge({
    name: 'livehouse_clickhouse_scrape_ok', help: '1 when the last scrape could read ClickHouse (consumers and freshness), 0 when it failed or timed out.', registers,
    async collect() { this.set((await snapshot()).ok ? 1 : 0) },
  })
  perConsumer('livehouse_kafka_consumer_lag_messages', 'Messages in the consumer\'s assigned partitions not yet consumed (librdkafka consumer_lag, summed).', (r) => r.lag)
  perConsumer('livehouse_kafka_consumer_partitions', 'Partitions assigned to the consumer (0 = idle: more consumers than partitions).', (r) => r.partitions)
  perConsumer('livehouse_kafka_consumer_messages_read', 'Kafka messages read by the consumer since the table was attached (a running total).', (r) => r.num_messages_read)
  perConsumer('livehouse_kafka_consumer_commits', 'Offset commits by the consumer since attach (a running total).', (r) => r.num_commits)
  perConsumer('livehouse_kafka_consumer_rebalance_revocations', 'Times the consumer lost its partitions to a rebalance (a running total).', (r) => r.num_rebalance_revocations)
  perConsumer('livehouse_kafka_consumer_recent_exceptions', 'Exceptions the consumer holds (ClickHouse keeps the 10 most recent).', (r) => r.recent_exceptions)
  perConsumer('livehouse_kafka_consumer_last_exception_timestamp_seconds', 'Unix time of the consumer\'s most recent exception (0 = none).', (r) => r.last_exception_s)
  perConsumer('livehouse_kafka_consumer_last_poll_timestamp_seconds', 'Unix time of the consumer\'s most recent poll.', (r) => r.last_poll_s)
  new Counter({
    name: 'livehouse_clickhouse_parts_written_total',
    help: 'Parts written into each table of the application database since it was created (its highest block number: one per INSERT reaching it, directly or through a materialized view). Its rate is parts created per second, what merges must later pay for.',
    labelNames: ['table'] as const, registers,
    async collect() {
      this.reset()
      for (const [table, n] of (await snapshot()).cost?.partsWritten ?? []) this.inc({ table }, n)
    },
  })
  new Gauge({
    name: 'livehouse_clickhouse_merges_running', help: 'Merges the engine is running now on the application\'s tables.', registers,
    async collect() {
      this.reset()
      const cost = (await snapshot()).cost
      if (cost) this.set(cost.mergesRunning)
    },
  })
  new Counter({
    name: 'livehouse_clickhouse_merges_total', help: 'Merges the engine has started since it started (ProfileEvents Merge).', registers,
    async collect() {
      this.reset()
      const cost = (await snapshot()).cost
      if (cost) this.inc(cost.mergesStarted)
    },
  })
  new Gauge({
    name: 'livehouse_data_freshness_seconds',
    help: 'Now minus the newest received_at of a raw table, or the newest bucket of candles_1s: how far behind the data is.',
    labelNames: ['table'] as const, registers,
    async collect() {
      this.reset()
      const s = await snapshot()
      for (const [table, ms] of s.newestMs) this.set({ table }, Math.max(0, (s.atMs - ms) / 1000))
    },
  })
}

async function read(ch: ClickHouseClient, timeoutMs: number): Promise<{ consumers: ConsumerRow[]; newestMs: Map<string, number>; cost: StorageCost }> {
  // No clickhouse_settings: they would stick to the shared ops session (docs/architecture.md, ClickHouse connections); 64-bit numbers may arrive quoted.
  const query = async <T>(sql: string) => (await ch.query({ query: sql, format: 'JSONEachRow' })).json<T>()
  const both = Promise.all([query<ConsumerRow>(kafkaConsumersSql), query<{ table: string; newest_ms: number | null }>(freshnessSql), query<{ kind: string; table: string; value: number | string }>(storageCostSql)])
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))
  try {
    const [consumers, fresh, costRows] = await Promise.race([both, timeout])
    const newestMs = new Map(fresh.filter((r) => r.newest_ms !== null && Number(r.newest_ms) > 0).map((r) => [r.table, Number(r.newest_ms)]))
    const of = (kind: string) => new Map(costRows.filter((r) => r.kind === kind).map((r) => [r.table, Number(r.value)]))
    return { consumers, newestMs, cost: { partsWritten: of('parts'), mergesRunning: of('merging').get('') ?? 0, mergesStarted: of('merges').get('') ?? 0 } }
  } finally {
    clearTimeout(timer)
  }
}
