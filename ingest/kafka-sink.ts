import { Kafka, logLevel, type Producer } from 'kafkajs'
import { AppError } from '../core/errors.ts'
import { createBatcher, type Batcher, type BatcherOptions, type Part, type Refusal } from './batcher.ts'
import type { EventSink } from './sink.ts'
import { streams, type Row, type Stream } from '../core/events.ts'

/** `lanes` is left out: each stream sends on its own idempotent producer queue, one send at a time. */
export interface KafkaSinkOptions extends Omit<BatcherOptions, 'lanes'> {
  brokers: string[]
  topicPrefix: string
}

/** JSONEachRow rows per Kafka message: the Kafka engine parses each message as that many rows. */
const rowsPerMessage = 500
/** A send not acknowledged by then answers 503; kafkajs may still deliver it later (a possible duplicate). */
const sendTimeoutMs = 10_000

/**
 * Kafka write path: an idempotent kafkajs producer (acks from all in-sync replicas)
 * writes many JSONEachRow rows per message to one topic per stream. ClickHouse's
 * Kafka engine consumes them (clickhouse/schema/010_*.sql). The caller's request
 * resolves only once Kafka acknowledged its rows.
 */
export async function createKafkaSink(options: KafkaSinkOptions): Promise<EventSink & { check(): Promise<{ ok: boolean; detail?: string }> }> {
  const kafka = new Kafka({
    clientId: 'livehouse-ingest',
    brokers: options.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
  })
  // kafkajs requires at most one in-flight request for an idempotent producer.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true })
  const admin = kafka.admin()
  let connected: Promise<void> | undefined
  const connect = () => (connected ??= producer.connect().catch((e) => ((connected = undefined), Promise.reject(e))))

  async function send(stream: Stream, parts: Part[]): Promise<Refusal[][]> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not acknowledge within ${sendTimeoutMs} ms`)), sendTimeoutMs)
    })
    const topic = options.topicPrefix + stream
    const sendAll = async () => {
      await connect()
      for (const messages of toRequests(toMessages(parts, rowsPerMessage))) await producer.send({ topic, acks: -1, messages })
    }
    try {
      await Promise.race([sendAll(), deadline])
      return parts.map(() => []) // Kafka refuses no row: ClickHouse's refusals are the consumer's (kafka-consumer.ts)
    } catch (cause) {
      throw new AppError(503, 'KAFKA_UNAVAILABLE', 'Kafka is not reachable; retry later', { cause, retryAfterS: 2 })
    } finally {
      clearTimeout(timer)
    }
  }

  const span = (s: Stream) => ({ name: 'kafka.send', attributes: { sink: 'kafka', stream: s, 'messaging.system': 'kafka', 'messaging.destination.name': options.topicPrefix + s } })
  const batchers = Object.fromEntries(streams.map((s) => [s, createBatcher((parts) => send(s, parts), { ...options, span: span(s) })])) as Record<Stream, Batcher>
  await connect().catch(() => {}) // unreachable at start-up is reported by /ready and by 503s, not fatal

  return {
    write: (stream: Stream, rows: Row[], key?: string) => batchers[stream].add(rows, key),
    /** Reachability for /ready. */
    async check() {
      try {
        await admin.connect()
        await admin.listTopics()
        return { ok: true }
      } catch (e) {
        return { ok: false, detail: (e as Error).message }
      }
    },
    async close() {
      await Promise.all(streams.map((s) => batchers[s].drain()))
      await Promise.allSettled([producer.disconnect(), admin.disconnect()])
    },
  }
}

/** Brokers refuse a request over message.max.bytes (1 MiB by default): keep each one well under it. */
export const maxRequestBytes = 768 * 1024

export interface Message {
  key?: string
  value: string
  headers?: Record<string, string>
}

/** The header that makes a message idempotent: stored at most once per value and topic (docs/events.md). */
export const idempotencyHeader = 'idempotency-key'

/**
 * Each part (one request) → JSONEachRow messages of up to `rowsPerMessage` rows, never mixing
 * requests. Message i of an idempotent request carries `<key>#<i>` as its idempotency header and
 * as its Kafka key: a retry's copy goes to the same partition, where the consumer meets it after
 * the original and drops it.
 */
export function toMessages(parts: Part[], rowsPerMessage: number): Message[] {
  const messages: Message[] = []
  for (const { rows, key } of parts) {
    for (let i = 0; i < rows.length; i += rowsPerMessage) {
      const value = rows.slice(i, i + rowsPerMessage).map((r) => JSON.stringify(r)).join('\n')
      const unit = key === undefined ? undefined : `${key}#${i / rowsPerMessage}`
      messages.push(unit === undefined ? { value } : { key: unit, value, headers: { [idempotencyHeader]: unit } })
    }
  }
  return messages
}

/** Messages → groups, one produce request each, under `maxRequestBytes` (UTF-8 bytes on the wire, not UTF-16 code units). */
export function toRequests(messages: Message[]): Message[][] {
  const requests: Message[][] = [[]]
  let bytes = 0
  for (const message of messages) {
    const size = Buffer.byteLength(message.value)
    if (bytes + size > maxRequestBytes && requests.at(-1)!.length > 0) {
      requests.push([])
      bytes = 0
    }
    requests.at(-1)!.push(message)
    bytes += size
  }
  return requests
}
