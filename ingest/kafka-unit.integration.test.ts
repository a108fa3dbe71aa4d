// A Kafka message whose validation stops its parse thread must not stall its partition: retried,
// it would stop the thread again forever. It becomes one dead letter; the messages beside it are stored.
import { afterAll, describe, expect, it } from 'vitest'
import { rows } from '../test/support/gateway.ts'
import { gatewayForFile } from '../test/support/gateway-file.ts'
import { storeUnit } from './kafka-unit.ts'
import { createParsePool } from './parse-pool.ts'

const file = gatewayForFile()
// A heap too small for the large message's 300,000 rows: its thread runs out of memory.
const pool = createParsePool({ workers: 1, inlineBelowChars: 0, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } })
afterAll(() => pool.close())

const ts = Date.now() - 60_000
const trades = (symbol: string, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${symbol}-${i}`, ts, symbol, price: 1.5, qty: 1, side: 'buy' })).join('\n'))

describe('storeUnit with a message that stops its parse thread', () => {
  it('dead-letters that message whole and stores the others', async () => {
    const ch = file.gw.clickhouse('ops')
    const result = await storeUnit({ ch, topic: 'livehouse.trades', partition: 0, stream: 'trades', dedup: true, batchRows: 50_000, maxLineBytes: 1 << 20, parse: pool.parse }, [
      { offset: '10', value: trades('KU.BEFORE', 3) },
      { offset: '11', value: trades('KU.HUGE', 300_000) },
      { offset: '12', value: trades('KU.AFTER', 2) },
    ])
    expect(result).toEqual({ rows: 5, rejected: 1, duplicates: 0 })
    const stored = await rows<{ symbol: string; n: string }>(ch, "SELECT symbol, count() AS n FROM trades WHERE symbol LIKE 'KU.%' GROUP BY symbol ORDER BY symbol")
    expect(stored.map((r) => [r.symbol, Number(r.n)])).toEqual([['KU.AFTER', 2], ['KU.BEFORE', 3]])
    const letters = await rows<{ error_code: string; error_message: string }>(ch, "SELECT error_code, error_message FROM dead_letters WHERE source = 'kafka' AND error_code = 'INGEST_PARSE_FAILED'")
    expect(letters).toEqual([{ error_code: 'INGEST_PARSE_FAILED', error_message: expect.stringMatching(/^offset 11 line 1: /) }])
  })
})
