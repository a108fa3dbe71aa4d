import { describe, expect, it } from 'vitest'
import { createAuth, generateSecret } from '../api/auth.ts'
import { createBatcher } from './batcher.ts'
import { createIngestor, createIngestRoutes, type Ingestor } from './route.ts'
import type { EventSink } from './sink.ts'
import type { Row, Stream } from './streams.ts'

const trade = { ts: 0, symbol: 'ACME', price: 1, qty: 1, side: 'buy' }
const body = [JSON.stringify(trade), '{bad'].join('\n')
const batching = { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000 }

/** A sink that records what reached it, in order with the dead-letter writes in `log`. */
function recordingSink(log: string[]): EventSink {
  return {
    write: async (stream: Stream, rows: Row[]) => void log.push(`${stream}:${rows.length}`),
    close: async () => {},
  } as EventSink
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
    const deadLetters = createBatcher(async (rows) => void log.push(`dead_letters:${rows.length}`), batching)
    const ingestor = createIngestor({ sink: recordingSink(log), deadLetters })
    expect(await ingestor.text('trades', body)).toMatchObject({ accepted: 1, rejected: 1 })
    expect(log).toEqual(['dead_letters:1', 'trades:1'])
  })
})

describe('createIngestRoutes', () => {
  it('hands the body to the ingestor it is given (the one the demo generator shares)', async () => {
    const auth = createAuth(generateSecret())
    const seen: string[] = []
    const ingestor = { text: async (stream: Stream, text: string) => (seen.push(`${stream}:${text}`), { accepted: 1, rejected: 0, errors: [] }) } as unknown as Ingestor
    const app = createIngestRoutes({ auth, ingestor, maxBodyBytes: 1024 })
    const token = await auth.sign({ sub: 'p', roles: ['ingest'], symbols: ['*'], shops: ['*'] }, '1h')
    const res = await app.request('/v1/events/trades', { method: 'POST', body, headers: { authorization: `Bearer ${token}` } })
    expect([res.status, await res.json()]).toEqual([200, { accepted: 1, rejected: 0, errors: [] }])
    expect(seen).toEqual([`trades:${body}`])
  })
})
