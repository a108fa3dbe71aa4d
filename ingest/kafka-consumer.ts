// The Kafka consumer: everything produced to the stream topics, by Livehouse or by any other
// producer, goes through the HTTP path's validation (core/events.ts) into ClickHouse, exactly once.
//
// Why not ClickHouse's Kafka engine (what clickhouse/schema/010_*.sql set up, dropped by 034):
// - one validation: the engine can only parse; rules written again in SQL drift from the ones in
//   TypeScript (duplicate keys, escapes, number parsing, calendar rules all differ), and one bad
//   line in a message sent every line of it to dead_letters;
// - counted once: the engine's blocks are cut by poll timing and carry no deduplication token, so
//   the block re-read after a crash never matches the one already stored; its exactly-once variant
//   keeps offsets in Keeper, which the embedded engine does not have;
// - a refused INSERT (a partition limit, a bad value) stalled the engine's consumer for good.
//
// Exactly once: a unit (the messages of one fetch of one partition) is written with tokens made
// of its offsets. Before writing, the consumer commits the unit's start with its end in the
// commit's metadata (an intent); after writing, the next offset. A consumer taking over after a
// crash finds the intent and rewrites exactly that unit with the same tokens: ClickHouse keeps the
// blocks it already has and adds the ones that were missing (each table decides, rollups too).
import type { ClickHouseClient } from '@clickhouse/client'
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload } from 'kafkajs'
import type { LanePool } from './batcher.ts'
import { subscriptionAwareAssigner } from './kafka-assigner.ts'
import { storeUnit, type UnitMessage } from './kafka-unit.ts'
import type { ParseBody } from './parse-pool.ts'
import { streams, type Stream } from '../core/events.ts'

export interface KafkaConsumerOptions {
  brokers: string[]
  topicPrefix: string
  groupId: string
  /** The ingest connections; lane i of `lanes` is `chs[i]` (shared with dead letters). */
  chs: ClickHouseClient[]
  lanes: LanePool
  dedup: boolean
  batchRows: number
  maxLineBytes?: number
  /** How messages are validated (parse-pool.ts moves large ones off the main thread); default parseNdjson. */
  parse?: ParseBody
  log?: { warn(msg: string, fields?: Record<string, unknown>): void; info(msg: string, fields?: Record<string, unknown>): void }
  /** After every unit, for metrics. */
  onUnit?: (stream: Stream, rows: number, rejected: number) => void
  /** Runs after a unit is written and before its offsets are committed: where a test makes a consumer die. */
  afterStore?: (unit: { topic: string; partition: number; first: string; last: string }) => Promise<void>
}

/** What /metrics reports per stream (the labels of the former Kafka engine tables: table = kafka_<stream>). */
export interface ConsumerStats {
  table: string
  consumer: string
  lag: number
  partitions: number
  messagesRead: number
  commits: number
  rebalances: number
  recentExceptions: number
  lastExceptionS: number
  lastPollS: number
}

/** Largest fetch per partition: a unit is at most this, and a re-read fetch from its start always covers it again. */
const maxBytesPerPartition = 8 * 1024 * 1024

export type KafkaConsumer = Awaited<ReturnType<typeof createKafkaConsumer>>

export async function createKafkaConsumer(o: KafkaConsumerOptions) {
  const kafka = new Kafka({ clientId: 'livehouse-consumer', brokers: o.brokers, connectionTimeout: 3000, requestTimeout: 10_000, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 3000 } })
  const topicOf = (s: Stream) => o.topicPrefix + s
  const streamOf = new Map(streams.map((s) => [topicOf(s), s]))
  const admin: Admin = kafka.admin()
  const consumer: Consumer = kafka.consumer({
    groupId: o.groupId,
    // A consumer that died without leaving is replaced within seconds, not after kafkajs' 30 s.
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1000,
    maxBytesPerPartition,
    maxBytes: 3 * maxBytesPerPartition,
    maxWaitTimeInMs: 100,
    partitionAssigners: [subscriptionAwareAssigner],
  })
  const state = createStats(new Map(streams.map((s) => [topicOf(s), `kafka_${s}`])))
  /** Intents read for the partitions of the current assignment (undefined = not read yet). */
  let intents = new Map<string, bigint | null>()
  let running = true
  /** The consumer's run, and after a crash kafkajs does not restart from, the run that replaces it. */
  let started: Promise<void> = Promise.resolve()

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    intents = new Map() // a new assignment: another consumer may have left intents meanwhile
    state.assigned(e.payload.memberId, e.payload.memberAssignment)
  })
  consumer.on(consumer.events.FETCH, () => state.polled())
  consumer.on(consumer.events.CRASH, (e) => {
    state.failed()
    // kafkajs restarts itself after errors it retries, and stops for good after the others: among them
    // KafkaJSGroupCoordinatorNotFound while a restarted broker loads its groups (kafkajs issues 1445, 1630).
    if (e.payload.restart || !running) return
    o.log?.warn('kafka: the consumer stopped on an error kafkajs does not retry; starting it again', { error: String(e.payload.error) })
    started = started.then(async () => {
      await consumer.disconnect().catch(() => {})
      await new Promise((r) => setTimeout(r, 1000))
      await start()
    })
  })

  async function intentOf(topic: string, partition: number): Promise<bigint | null> {
    const id = `${topic}:${partition}`
    if (!intents.has(id)) {
      await admin.connect()
      const [offsets] = await admin.fetchOffsets({ groupId: o.groupId, topics: [topic] })
      intents.set(id, parseIntent(offsets?.partitions.find((x) => x.partition === partition)?.metadata))
    }
    return intents.get(id)!
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const { topic, partition } = batch
    const stream = streamOf.get(topic)
    if (!stream || batch.messages.length === 0) return
    state.fetched(topic, partition, BigInt(batch.highWatermark))
    let messages = batch.messages as UnitMessage[]
    while (messages.length > 0 && isRunning() && !isStale()) {
      const intent = o.dedup ? await intentOf(topic, partition) : null
      // The unit a crashed consumer started: exactly it again, so its tokens match.
      const cut = intent === null ? messages.length : messages.findIndex((m) => BigInt(m.offset) > intent)
      if (intent !== null && cut === -1 && BigInt(messages.at(-1)!.offset) < intent) {
        o.log?.warn('kafka: the fetch does not reach the unit a crashed consumer started; it is written as a new unit (possible duplicates)', { topic, partition })
      }
      const unit = cut <= 0 ? messages : messages.slice(0, cut)
      if (intent !== null) o.log?.info('kafka: rewriting the unit a crashed consumer started', { topic, partition, first: unit[0].offset, last: unit.at(-1)!.offset })
      await storeWithRetry(stream, topic, partition, unit, heartbeat, isRunning)
      if (!isRunning()) return
      resolveOffset(unit.at(-1)!.offset)
      messages = messages.slice(unit.length)
    }
  }

  /** Writes one unit, retrying while ClickHouse is unreachable (the partition waits; nothing is skipped). */
  async function storeWithRetry(stream: Stream, topic: string, partition: number, unit: UnitMessage[], heartbeat: () => Promise<void>, isRunning: () => boolean) {
    const first = unit[0].offset
    const next = String(BigInt(unit.at(-1)!.offset) + 1n)
    if (o.dedup) {
      await commit(topic, partition, first, JSON.stringify({ unitEnd: unit.at(-1)!.offset }))
      // Also for this consumer: if the write fails and kafkajs re-fetches, the retry is this unit again.
      intents.set(`${topic}:${partition}`, BigInt(unit.at(-1)!.offset))
    }
    for (let attempt = 0; ; attempt++) {
      const lane = await acquireLane(o.lanes)
      try {
        const r = await storeUnit({ ch: o.chs[lane], topic, partition, stream, dedup: o.dedup, batchRows: o.batchRows, maxLineBytes: o.maxLineBytes ?? 1024 * 1024, parse: o.parse }, unit)
        state.stored(topic, partition, unit.length, BigInt(next))
        o.onUnit?.(stream, r.rows, r.rejected)
        break
      } catch (e) {
        state.failed()
        o.log?.warn('kafka: a unit could not be stored; retrying', { topic, partition, first, error: e })
        if (!isRunning() || !running) throw e
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)))
        await heartbeat()
      } finally {
        o.lanes.release(lane)
      }
    }
    await o.afterStore?.({ topic, partition, first, last: unit.at(-1)!.offset })
    await commit(topic, partition, next, '')
    intents.set(`${topic}:${partition}`, null)
  }

  async function commit(topic: string, partition: number, offset: string, metadata: string) {
    await consumer.commitOffsets([{ topic, partition, offset, metadata }])
    state.committed(topic, partition, BigInt(offset))
  }

  /** Connects and runs; while Kafka is unreachable it keeps trying in the background (/ready reports Kafka). */
  async function start(): Promise<void> {
    while (running) {
      try {
        await consumer.connect()
        await consumer.subscribe({ topics: streams.map(topicOf), fromBeginning: true })
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: streams.length, eachBatch })
        return
      } catch {
        state.failed()
        await consumer.disconnect().catch(() => {})
        await new Promise((r) => setTimeout(r, 2000))
      }
    }
  }
  started = start()
  const lagTimer = setInterval(() => void refreshLag(admin, o.groupId, streams.map(topicOf), state).catch(() => {}), 3000)
  lagTimer.unref()

  return {
    stats: (): ConsumerStats[] => state.snapshot(),
    async stop() {
      running = false
      clearInterval(lagTimer)
      await started.catch(() => {})
      await Promise.allSettled([consumer.disconnect(), admin.disconnect()])
    },
  }
}

/** The unit end a consumer committed as its intent, if the metadata is one of ours (anything else: none). */
export function parseIntent(metadata: string | null | undefined): bigint | null {
  try {
    const end = metadata ? (JSON.parse(metadata) as { unitEnd?: unknown }).unitEnd : undefined
    return typeof end === 'string' && /^\d+$/.test(end) ? BigInt(end) : null
  } catch {
    return null
  }
}

/** A lane of the pool, waiting for one to be free (the pool calls back once). */
function acquireLane(pool: LanePool): Promise<number> {
  return new Promise((resolve) => {
    const attempt = () => {
      const lane = pool.acquire(attempt)
      if (lane !== undefined) resolve(lane)
    }
    attempt()
  })
}

/** High watermarks and committed offsets from the broker, every few seconds: the lag even while nothing is fetched. */
async function refreshLag(admin: Admin, groupId: string, topics: string[], state: ReturnType<typeof createStats>) {
  await admin.connect()
  for (const t of await admin.fetchOffsets({ groupId, topics })) {
    const offsets = await admin.fetchTopicOffsets(t.topic)
    for (const o of offsets) {
      const c = t.partitions.find((p) => p.partition === o.partition)?.offset
      state.offsets(t.topic, o.partition, BigInt(o.high), c === undefined || BigInt(c) < 0n ? BigInt(o.low) : BigInt(c))
    }
  }
}

/** Per-stream consumer figures, labelled as the Kafka engine tables were (table = kafka_<stream>) so dashboards keep working. */
function createStats(tableOfTopic: Map<string, string>) {
  const per = new Map([...tableOfTopic.values()].map((t) => [t, { partitions: 0, messagesRead: 0 }]))
  /** Per topic:partition: the newest high watermark seen and the next offset not yet in ClickHouse. */
  const positions = new Map<string, { topic: string; high: bigint; committed: bigint }>()
  const position = (topic: string, partition: number) => {
    const id = `${topic}:${partition}`
    if (!positions.has(id)) positions.set(id, { topic, high: 0n, committed: 0n })
    return positions.get(id)!
  }
  const of = (topic: string) => per.get(tableOfTopic.get(topic) ?? '')
  let member = ''
  let commits = 0
  let joins = 0
  let lastPollS = 0
  const exceptions: number[] = []
  const lagOf = (table: string) => {
    let lag = 0n
    for (const p of positions.values()) if (tableOfTopic.get(p.topic) === table && p.high > p.committed) lag += p.high - p.committed
    return Number(lag)
  }
  return {
    assigned(memberId: string, assignment: Record<string, number[]>) {
      member = memberId
      joins++
      for (const s of per.values()) s.partitions = 0
      for (const [topic, partitions] of Object.entries(assignment)) {
        const s = of(topic)
        if (s) s.partitions = partitions.length
      }
    },
    polled: () => void (lastPollS = Math.floor(Date.now() / 1000)),
    fetched(topic: string, partition: number, high: bigint) {
      const p = position(topic, partition)
      if (high > p.high) p.high = high
    },
    /** `n` messages are in ClickHouse, up to `next`: counted as read only then, so read > 0 means stored. */
    stored(topic: string, partition: number, n: number, next: bigint) {
      const s = of(topic)
      if (s) s.messagesRead += n
      const p = position(topic, partition)
      if (next > p.committed) p.committed = next
    },
    offsets(topic: string, partition: number, high: bigint, committed: bigint) {
      const p = position(topic, partition)
      if (high > p.high) p.high = high
      if (committed > p.committed) p.committed = committed
    },
    committed(topic: string, partition: number, offset: bigint) {
      commits++
      const p = position(topic, partition)
      if (offset > p.committed) p.committed = offset
    },
    failed() {
      exceptions.push(Math.floor(Date.now() / 1000))
      if (exceptions.length > 10) exceptions.shift()
    },
    snapshot: (): ConsumerStats[] =>
      [...per].map(([table, s]) => ({
        table, consumer: member, lag: lagOf(table), partitions: s.partitions, messagesRead: s.messagesRead, commits,
        rebalances: Math.max(0, joins - 1), recentExceptions: exceptions.length, lastExceptionS: exceptions.at(-1) ?? 0, lastPollS,
      })),
  }
}
