import { describe, expect, it } from 'vitest'
import { createBatcher } from './batcher.ts'
import { createIngestor } from './ingestor.ts'
import type { EventSink } from './sink.ts'
import type { Row, Stream } from '../core/events.ts'

const trade = { ts: Date.now(), symbol: 'ACME', price: 1, qty: 1, side: 'buy' }
const body = [JSON.stringify(trade), '{bad'].join('\n')
const batching = { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000 }

/** A sink that records what reached it, in order with the dead-letter writes in `log`. */
function recordingSink(log: string[]): EventSink {
  return {
    write: async (stream: Stream, rows: Row[]) => (log.push(`${stream}:${rows.length}`), []),
    close: async () => {},
  }
}

describe('createIngestor', () => {
  it('writes dead letters before rows, so a failed dead-letter write stores no row and a retry duplicates nothing', async () => {
    const log: string[] = []
    const deadLetters = createBatcher(() => Promise.reject(new Error('ClickHouse down')), batching)
    const ingestor = createIngestor({ sink: recordingSink(log), deadLetters })
    await expect(ingestor.text('trades', body)).rejects.toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE' })
    expect(log).toEqual([])
  })

  it('stores the rows once the dead letters are stored, and answers with both counts', async () => {
    const log: string[] = []
    const deadLetters = createBatcher(async (parts) => (log.push(`dead_letters:${parts.flatMap((p) => p.rows).length}`), parts.map(() => [])), batching)
    const ingestor = createIngestor({ sink: recordingSink(log), deadLetters })
    expect(await ingestor.text('trades', body)).toMatchObject({ accepted: 1, rejected: 1 })
    expect(log).toEqual(['dead_letters:1', 'trades:1'])
  })
})
