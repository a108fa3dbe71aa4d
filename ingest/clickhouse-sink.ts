import type { ClickHouseClient } from '@clickhouse/client'
import { createBatcher, type Batcher, type BatcherOptions, type LanePool, type Part, type Refusal } from './batcher.ts'
import { dayOfTs, insertGroups, insertIsolating, insertRows, pack, unitsOf, type Unit } from './clickhouse-writer.ts'
import { storedKeys } from './ingest-keys.ts'
import type { EventSink } from './sink.ts'
import { streams, type Row, type Stream } from '../core/events.ts'

export interface ClickHouseSinkOptions extends BatcherOptions {
  lanes: LanePool
  /** Off only to measure what deduplication costs (bench/ingest): INSERTs carry no token. */
  dedup?: boolean
}

/** Unique per INSERT of this process (chDB keeps the last token on the session: each INSERT must state its own). */
export function createTokens(prefix: string) {
  const instance = `${prefix}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  let seq = 0
  return () => `${instance}:${(seq++).toString(36)}`
}

/**
 * Embedded write path: batched INSERTs into `<stream>_in`, whose views fill the raw table (and
 * from it the rollups) and note idempotency units (clickhouse/schema/031_*.sql). Lane i of
 * `options.lanes` is connection `chs[i]`: chDB runs one statement at a time per connection, so a
 * second connection lets the next batch start while one is being written. The three streams'
 * batchers (and the dead-letter batcher, given the same pool) take free lanes from one pool.
 */
export function createClickHouseSink(chs: ClickHouseClient[], options: ClickHouseSinkOptions): EventSink {
  const dedup = options.dedup ?? true
  const token = createTokens('http')
  const span = (s: Stream) => ({ name: 'clickhouse.insert', attributes: { sink: 'clickhouse', stream: s, 'db.system': 'clickhouse', 'db.collection.name': s } })
  // Batches holding idempotent rows of one stream run one after another: two lanes checking the
  // same unit at once would both find it missing and both store it.
  const keyedTail = new Map<Stream, Promise<unknown>>()

  const write = (stream: Stream) => async (parts: Part[], lane: number): Promise<Refusal[][]> => {
    const ch = chs[lane]
    if (!parts.some((p) => p.key !== undefined)) return insertUnits(ch, stream, unitsOf(parts, dayOfTs), parts.length)
    const previous = keyedTail.get(stream) ?? Promise.resolve()
    const mine = previous.then(async () => {
      const units = await withoutStoredUnits(ch, parts)
      const refused = await insertUnits(ch, stream, units.filter((u) => parts[u.part].key === undefined), parts.length)
      // An idempotent unit is an INSERT of its own, its token the unit's key: if this process dies
      // with the unit written to some tables only, the retry's INSERT is dropped where it landed
      // and completes the others (a raw part without its rollup parts, or without its ingest_keys row).
      for (const unit of units.filter((u) => parts[u.part].key !== undefined)) {
        const unitRefused = await insertIsolating((rows, t) => insertRows(ch, `${stream}_in`, rows, t), [unit], dedup ? `unit:${(unit.rows[0] as Row).ingest_key}` : undefined, parts.length)
        unitRefused.forEach((r, p) => refused[p].push(...r))
      }
      return refused
    })
    keyedTail.set(stream, mine.catch(() => undefined))
    return mine
  }

  const insertUnits = (ch: ClickHouseClient, stream: Stream, units: Unit[], partCount: number) =>
    insertGroups((rows, t) => insertRows(ch, `${stream}_in`, rows, t), pack(units, options.batchRows), () => (dedup ? token() : undefined), partCount)

  const batchers = Object.fromEntries(streams.map((s) => [s, createBatcher(write(s), { ...options, span: span(s) })])) as Record<Stream, Batcher>
  return {
    write: (stream: Stream, rows: Row[], key?: string) => batchers[stream].add(rows, key),
    async close() {
      await Promise.all(streams.map((s) => batchers[s].drain()))
    },
  }
}

/**
 * The units of `parts` still to store: an idempotent request's rows of one day form a unit
 * (key `<request key>#<day>`); a unit already noted in ingest_keys (an earlier attempt of the
 * same request stored it before failing or dying) or twice in this batch is left out. The
 * deduplication window (10,000 blocks) would catch a quick retry too; ingest_keys covers 24 h.
 */
async function withoutStoredUnits(ch: ClickHouseClient, parts: Part[]): Promise<Unit[]> {
  const units = unitsOf(parts, dayOfTs)
  const keyOf = (u: Unit) => {
    const key = parts[u.part].key
    return key === undefined ? undefined : `${key}#${u.day}`
  }
  const stored = await storedKeys(ch, units.flatMap((u) => keyOf(u) ?? []))
  const seen = new Set<string>()
  return units.filter((u) => {
    const key = keyOf(u)
    if (key === undefined) return true
    if (stored.has(key) || seen.has(key)) return false
    seen.add(key)
    for (const row of u.rows) (row as Row).ingest_key = key
    return true
  })
}

/**
 * Dead letters: batched INSERTs into dead_letters on the same lanes, with the same isolation (a
 * letter ClickHouse refuses never keeps the others out) and a token per INSERT.
 */
export function createDeadLetterBatcher(chs: ClickHouseClient[], options: ClickHouseSinkOptions): Batcher {
  const dedup = options.dedup ?? true
  const token = createTokens('dead')
  const write = (parts: Part[], lane: number) =>
    insertGroups((rows, t) => insertRows(chs[lane], 'dead_letters', rows, t), pack(unitsOf(parts, () => ''), options.batchRows), () => (dedup ? token() : undefined), parts.length)
  return createBatcher(write, { ...options, span: { name: 'clickhouse.insert', attributes: { sink: 'clickhouse', stream: 'dead_letters' } } })
}
