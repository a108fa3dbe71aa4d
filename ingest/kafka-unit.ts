// One unit of the Kafka consumer: a run of messages of one partition, validated by the same
// rules as HTTP ingestion (core/events.ts) and written with tokens derived from its offsets, so a
// re-delivery of the same unit after a crash is stored once (clickhouse-writer.ts).
import type { ClickHouseClient } from '@clickhouse/client'
import { isAppError } from '../core/errors.ts'
import type { Part, Refusal } from './batcher.ts'
import { dayOfTs, insertGroups, insertRows, pack, unitsOf } from './clickhouse-writer.ts'
import { storedKeys, unitKeyOf } from './ingest-keys.ts'
import { parseNdjson, cutForDeadLetter, type ParsedBatch } from './ndjson.ts'
import { idempotencyHeader } from './kafka-sink.ts'
import type { ParseBody } from './parse-pool.ts'
import type { DeadLetter } from './sink.ts'
import type { Row, Stream } from '../core/events.ts'

export interface UnitMessage {
  offset: string
  value: Buffer | null
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}

export interface UnitContext {
  ch: ClickHouseClient
  topic: string
  partition: number
  stream: Stream
  /** Deduplication on: tokens derived from offsets (off only to measure its cost). */
  dedup: boolean
  batchRows: number
  maxLineBytes: number
  /** How a message's lines are validated (parse-pool.ts: on a thread); default parseNdjson here. */
  parse?: ParseBody
}

export interface UnitResult {
  rows: number
  rejected: number
  /** Messages dropped because their idempotency key was already stored from another offset. */
  duplicates: number
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The message's idempotency header, hashed with its topic into an ingest key (a producer's key never reaches SQL). */
function keyOf(topic: string, m: UnitMessage): string | undefined {
  const raw = m.headers?.[idempotencyHeader]
  const value = Array.isArray(raw) ? raw[0] : raw
  return value === undefined ? undefined : unitKeyOf('kafka', topic, value.toString())
}

/**
 * Parses one message's lines. A value that is not UTF-8, or one whose validation stopped its parse
 * thread, is one rejected line (the whole message): retried, it would fail the unit forever.
 */
async function parseMessage(ctx: UnitContext, m: UnitMessage, nowMs: number): Promise<ParsedBatch> {
  const whole = (code: string, message: string, raw: string): ParsedBatch =>
    ({ rows: [], rowLines: [], errors: [{ line: 1, code, message }], rawRejected: [cutForDeadLetter(raw)] })
  let text: string
  try {
    text = utf8.decode(m.value ?? new Uint8Array())
  } catch {
    return whole('INVALID_BODY', 'the message is not valid UTF-8', (m.value ?? Buffer.alloc(0)).toString('latin1'))
  }
  try {
    return await (ctx.parse ?? parseNdjson)(ctx.stream, text, { maxLineBytes: ctx.maxLineBytes, nowMs })
  } catch (e) {
    if (isAppError(e) && e.code === 'INGEST_PARSE_FAILED') return whole(e.code, e.message, text)
    throw e
  }
}

/**
 * Stores one unit: dead letters first (every rejected line, with its offset and line), then the
 * rows through `<stream>_in`, then the letters of rows ClickHouse refused. A message whose
 * idempotency key was stored from another offset (a producer's retry) is left out; one stored
 * from this very offset is a re-delivery, which the tokens deduplicate.
 */
export async function storeUnit(ctx: UnitContext, messages: UnitMessage[]): Promise<UnitResult> {
  const nowMs = Date.now()
  const source = (m: UnitMessage) => `kafka:${ctx.topic}:${ctx.partition}:${m.offset}`
  const token = ctx.dedup ? `kafka:${ctx.topic}:${ctx.partition}:${messages[0].offset}-${messages.at(-1)!.offset}` : undefined
  const sub = (suffix: string) => (token === undefined ? () => undefined : (g: number) => `${token}${suffix}${g}`)

  const parsed = await Promise.all(messages.map((m) => parseMessage(ctx, m, nowMs)))
  const keys = messages.map((m) => keyOf(ctx.topic, m))
  const stored = await storedKeys(ctx.ch, keys.flatMap((k) => k ?? []))
  const seen = new Set<string>()
  const kept = messages.map((m, i) => {
    const key = keys[i]
    if (key === undefined) return true
    const sources = stored.get(key)
    if ((sources && !sources.has(source(m))) || seen.has(key)) return false
    seen.add(key)
    return true
  })

  const letters: DeadLetter[] = []
  messages.forEach((m, i) => {
    if (!kept[i]) return
    parsed[i].errors.forEach((e, j) => letters.push(letter(ctx.stream, parsed[i].rawRejected[j], e.code, `offset ${m.offset} line ${e.line}: ${e.message}`)))
  })
  await insertLetters(ctx, letters, sub(':dl#'))

  const parts: Part[] = []
  const partMessage: number[] = []
  messages.forEach((m, i) => {
    if (!kept[i] || parsed[i].rows.length === 0) return
    const key = keys[i]
    if (key !== undefined) for (const row of parsed[i].rows) Object.assign(row, { ingest_key: key, ingest_source: source(m) })
    parts.push({ rows: parsed[i].rows })
    partMessage.push(i)
  })
  const refused = await insertGroups((rows, t) => insertRows(ctx.ch, `${ctx.stream}_in`, rows, t), pack(unitsOf(parts, dayOfTs), ctx.batchRows), sub('#'), parts.length)
  await insertLetters(ctx, refusedLetters(ctx, messages, parsed, partMessage, refused), sub(':refused#'))

  const rows = parts.reduce((n, p) => n + p.rows.length, 0) - refused.reduce((n, r) => n + r.length, 0)
  const rejected = letters.length + refused.reduce((n, r) => n + r.length, 0)
  return { rows, rejected, duplicates: kept.filter((k) => !k).length }
}

function refusedLetters(ctx: UnitContext, messages: UnitMessage[], parsed: ParsedBatch[], partMessage: number[], refused: Refusal[][]): DeadLetter[] {
  return refused.flatMap((list, p) => {
    const i = partMessage[p]
    return list.map((r) => {
      const { ingest_key: _k, ingest_source: _s, ...event } = parsed[i].rows[r.index] as Row
      return letter(ctx.stream, cutForDeadLetter(JSON.stringify(event)), r.code, `offset ${messages[i].offset} line ${parsed[i].rowLines[r.index]}: ${r.message}`)
    })
  })
}

const letter = (stream: Stream, raw: string, code: string, message: string): DeadLetter => ({ stream, raw, error_code: code, error_message: message, source: 'kafka' })

async function insertLetters(ctx: UnitContext, letters: DeadLetter[], tokenOf: (g: number) => string | undefined): Promise<void> {
  if (letters.length === 0) return
  await insertGroups((rows, t) => insertRows(ctx.ch, 'dead_letters', rows, t), pack(unitsOf([{ rows: letters }], () => ''), ctx.batchRows), tokenOf, 1)
}
