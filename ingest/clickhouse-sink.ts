import type { ClickHouseClient } from '@clickhouse/client'
import { createBatcher, type BatcherOptions, type LanePool } from './batcher.ts'
import type { EventSink } from './sink.ts'
import { streams, type Row, type Stream } from '../core/events.ts'

export async function insertRows(ch: ClickHouseClient, table: string, rows: object[]): Promise<void> {
  await ch.insert({ table, values: rows, format: 'JSONEachRow' })
}

/**
 * Embedded write path: batched INSERTs into the raw tables; the materialized views fire on
 * insert. Lane i of `options.lanes` is connection `chs[i]`: chDB runs one statement at a time
 * per connection, so a second connection lets the next batch start while one is being written.
 * The three streams' batchers (and the dead-letter batcher, given the same pool) take free
 * lanes from one pool, so no INSERT waits behind another on a connection it thought free.
 */
export function createClickHouseSink(chs: ClickHouseClient[], options: BatcherOptions & { lanes: LanePool }): EventSink {
  const span = (s: Stream) => ({ name: 'clickhouse.insert', attributes: { sink: 'clickhouse', stream: s, 'db.system': 'clickhouse', 'db.collection.name': s } })
  const batchers = Object.fromEntries(streams.map((s) => [s, createBatcher((rows, lane) => insertRows(chs[lane], s, rows), { ...options, span: span(s) })])) as Record<Stream, ReturnType<typeof createBatcher>>
  return {
    write: (stream: Stream, rows: Row[]) => batchers[stream].add(rows),
    async close() {
      await Promise.all(streams.map((s) => batchers[s].drain()))
    },
  }
}
