// Counted once, against the real engine (issue 17, item 2): the deduplication the Kafka consumer
// and idempotent requests rely on holds in the raw tables and in every rollup.
import { describe, expect, it } from 'vitest'
import { formatMs } from '../core/events.ts'
import { createLanePool } from './batcher.ts'
import { createClickHouseSink } from './clickhouse-sink.ts'
import { insertRows } from './clickhouse-writer.ts'
import { rows } from '../test/support/gateway.ts'
import { gatewayForFile } from '../test/support/gateway-file.ts'

const file = gatewayForFile()

const ops = () => file.gw.clickhouse('ops')
const one = async (q: string) => Number(Object.values((await rows(ops(), q))[0])[0])
const trade = (symbol: string, i: number, tsMs = Date.now() - 60_000) => ({ id: `${symbol}-${i}`, ts: formatMs(tsMs + i), symbol, price: 10, qty: 1, side: 'buy', venue: '' })
const candleTrades = (symbol: string) => one(`SELECT sum(trades) FROM candles_1m WHERE symbol = '${symbol}'`)

describe('deduplication windows', () => {
  it('every table a landing or raw table feeds, through any chain of views, keeps a deduplication window', async () => {
    const views = await rows<{ name: string; create_table_query: string }>(ops(), "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'")
    const edges = views.map((v) => ({
      from: /\bFROM\s+(?:\w+\.)?(\w+)/i.exec(v.create_table_query)?.[1],
      to: /\bTO\s+(?:\w+\.)?(\w+)/i.exec(v.create_table_query)?.[1],
    }))
    const fed = new Set<string>()
    const queue = ['trades_in', 'orders_in', 'web_events_in']
    while (queue.length > 0) {
      const table = queue.shift()!
      for (const e of edges) if (e.from === table && e.to && !fed.has(e.to)) (fed.add(e.to), queue.push(e.to))
    }
    expect(fed).toContain('candles_1s')
    expect(fed).toContain('ingest_keys')
    const tables = await rows<{ name: string; engine_full: string }>(ops(), "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'")
    const window = (t: string) => Number(/non_replicated_deduplication_window = (\d+)/.exec(tables.find((x) => x.name === t)?.engine_full ?? '')?.[1] ?? 0)
    expect([...fed].filter((t) => window(t) === 0)).toEqual([])
  })
})

describe('an INSERT replayed with its token (a Kafka re-delivery)', () => {
  it('stores nothing new in the raw table or any rollup', async () => {
    const ch = file.gw.clickhouse('ingest', 0)
    const block = [trade('REPLAY', 0), trade('REPLAY', 1)]
    await insertRows(ch, 'trades_in', block, 'test:replay:1')
    await insertRows(ch, 'trades_in', [...block, trade('REPLAY', 2)], 'test:replay:1')
    expect([await one("SELECT count() FROM trades WHERE symbol = 'REPLAY'"), await candleTrades('REPLAY')]).toEqual([2, 2])
    // Another token is another block, even with the same rows: never dropped by content.
    await insertRows(ch, 'trades_in', block, 'test:replay:2')
    expect([await one("SELECT count() FROM trades WHERE symbol = 'REPLAY'"), await candleTrades('REPLAY')]).toEqual([4, 4])
  })

  it('completes a rollup whose part was not written before the crash, without doubling the others', async () => {
    const ch = file.gw.clickhouse('ingest', 0)
    // A crash between the raw part and one rollup's part, reproduced by detaching that rollup's view.
    await ops().command({ query: 'DETACH TABLE mv_candles_1m_from_trades' })
    await insertRows(ch, 'trades_in', [trade('PARTIAL', 0)], 'test:partial:1')
    await ops().command({ query: 'ATTACH TABLE mv_candles_1m_from_trades' })
    expect([await one("SELECT count() FROM trades WHERE symbol = 'PARTIAL'"), await candleTrades('PARTIAL')]).toEqual([1, 0])
    await insertRows(ch, 'trades_in', [trade('PARTIAL', 0)], 'test:partial:1')
    expect([await one("SELECT count() FROM trades WHERE symbol = 'PARTIAL'"), await candleTrades('PARTIAL'), await one("SELECT sum(trades) FROM candles_1s WHERE symbol = 'PARTIAL'")]).toEqual([1, 1, 1])
  })
})

describe('rows of an idempotent request (a key)', () => {
  const sink = () => createClickHouseSink([file.gw.clickhouse('ingest', 1)], { flushMs: 20, batchRows: 10_000, maxPendingRows: 100_000, lanes: createLanePool(1) })

  it('are stored once per key and day, whether sent again later or twice in one batch', async () => {
    const s = sink()
    const rowsOf = () => [trade('KEYED', 0), trade('KEYED', 1)]
    await Promise.all([s.write('trades', rowsOf(), 'k'.repeat(32)), s.write('trades', rowsOf(), 'k'.repeat(32))])
    await s.write('trades', rowsOf(), 'k'.repeat(32))
    expect(await one("SELECT count() FROM trades WHERE symbol = 'KEYED'")).toBe(2)
    await s.write('trades', rowsOf(), 'j'.repeat(32))
    expect(await one("SELECT count() FROM trades WHERE symbol = 'KEYED'")).toBe(4)
    await s.close()
  })

  it('complete an attempt that stored only some days: the retry stores the missing days alone', async () => {
    const s = sink()
    const day = 86_400_000
    const t0 = Date.now() - 10 * day
    const backfill = () => Array.from({ length: 5 }, (_, d) => trade('HALF', d, t0 + d * day))
    // The first attempt stored days 0 and 1 before it died.
    await s.write('trades', backfill().slice(0, 2), 'h'.repeat(32))
    await s.write('trades', backfill(), 'h'.repeat(32))
    expect([await one("SELECT count() FROM trades WHERE symbol = 'HALF'"), await one("SELECT uniqExact(id) FROM trades WHERE symbol = 'HALF'")]).toEqual([5, 5])
    expect(await candleTrades('HALF')).toBe(5)
    await s.close()
  })
})
