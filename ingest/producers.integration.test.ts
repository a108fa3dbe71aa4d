// One producer cannot hurt another (issue 10, findings 6, 7 and 8), against the real engine.
import { describe, expect, it } from 'vitest'
import { formatMs } from '../core/events.ts'
import { createLanePool } from './batcher.ts'
import { createClickHouseSink } from './clickhouse-sink.ts'
import { ingest, rows } from '../test/support/gateway.ts'
import { gatewayForFile } from '../test/support/gateway-file.ts'

const file = gatewayForFile({ MAX_BODY_BYTES: String(13 * 1024 * 1024), INGEST_MAX_LINES: '100000' })

const day = 86_400_000
const count = async (q: string) => Number(Object.values((await rows(file.gw.clickhouse('ops'), q))[0])[0])
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code

describe('an engine refusal of a shared batch (finding 6)', () => {
  // Validation refuses what the engine would; this writes past it, as a future engine rule or a
  // validation gap would, to prove the batch is still isolated.
  const row = (symbol: string, i: number, id = `${symbol}-${i}`) => ({ id, ts: formatMs(Date.now() - 60_000 + i), symbol, price: 10, qty: 1, side: 'buy', venue: '' })

  it('rejects only the refused line: every other request of the batch, and the poisoned request\'s other lines, are stored', async () => {
    const sink = createClickHouseSink([file.gw.clickhouse('ingest', 0)], { flushMs: 50, batchRows: 10_000, maxPendingRows: 100_000, lanes: createLanePool(1) })
    const innocent = Array.from({ length: 20 }, (_, r) => sink.write('trades', [row(`ISO${r}`, 0), row(`ISO${r}`, 1)]))
    const poisoned = sink.write('trades', [row('ISOBAD', 0), row('ISOBAD', 1, 'x\ud800'), row('ISOBAD', 2)])
    const results = await Promise.all([...innocent, poisoned])
    expect(results.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => []))
    expect(results[20]).toEqual([{ index: 1, code: 'ENGINE_REFUSED', message: expect.stringContaining('surrogate') }])
    await sink.close()
    expect(await count("SELECT count() FROM trades WHERE startsWith(symbol, 'ISO')")).toBe(42)
    expect(await count("SELECT sum(trades) FROM candles_1m WHERE startsWith(symbol, 'ISO')")).toBe(42)
  })

  it('answers 200 to 60 concurrent requests when one holds a lone surrogate in an id and one in a category', async () => {
    const now = Date.now() - 60_000
    const poisonTrade = `{"id":"x\\ud800","ts":${now},"symbol":"SURR","price":1,"qty":1,"side":"buy"}`
    const poisonOrder = `{"order_id":"o","ts":${now},"shop_id":"surr","customer_id":"c","product_id":"p","category":"x\\ud83d","quantity":1,"unit_price":1,"status":"completed"}`
    const requests = Array.from({ length: 60 }, (_, i) => {
      if (i === 7) return ingest(file.gw, 'trades', [poisonTrade, { id: `s${i}`, ts: now, symbol: 'SURR', price: 1, qty: 1, side: 'buy' }])
      if (i === 8) return ingest(file.gw, 'orders', [poisonOrder])
      return ingest(file.gw, 'trades', [{ id: `s${i}`, ts: now + i, symbol: 'SURR', price: 1, qty: 1, side: 'buy' }])
    })
    const answers = await Promise.all(requests)
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 60 }, () => 200))
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { accepted: number; errors: { code: string }[] }[]
    expect([bodies[7].accepted, bodies[7].errors.map((e) => e.code), bodies[8].errors.map((e) => e.code)]).toEqual([1, ['INVALID_VALUE'], ['INVALID_VALUE']])
    expect(await count("SELECT count() FROM trades WHERE symbol = 'SURR'")).toBe(59)
  })
})

describe('a backfill over more than 100 days (finding 7)', () => {
  it('is stored: trades over 200 days and orders over 3 years, split by partition, with their rollups', async () => {
    const start = Date.now() - 300 * day
    const trades = Array.from({ length: 400 }, (_, i) => ({ id: `bf${i}`, ts: start + i * 12 * 3_600_000, symbol: 'BACKFILL', price: 1, qty: 1, side: 'buy' }))
    const res = await ingest(file.gw, 'trades', trades)
    expect([res.status, await res.json()]).toEqual([200, { accepted: 400, rejected: 0, errors: [] }])
    const days = new Set(trades.map((t) => new Date(t.ts).toISOString().slice(0, 10))).size
    expect(days).toBeGreaterThan(150)
    expect(await count("SELECT uniqExact(toYYYYMMDD(ts)) FROM trades WHERE symbol = 'BACKFILL'")).toBe(days)
    expect(await count("SELECT sum(trades) FROM candles_1h WHERE symbol = 'BACKFILL'")).toBe(400)

    const orders = Array.from({ length: 1100 }, (_, i) => ({ order_id: `bo${i}`, ts: Date.UTC(2022, 0, 1) + i * day, shop_id: 'backfill', customer_id: 'c', product_id: 'p', category: 'k', quantity: 1, unit_price: 2, status: 'completed' }))
    const res2 = await ingest(file.gw, 'orders', orders)
    expect([res2.status, ((await res2.json()) as { accepted: number }).accepted]).toEqual([200, 1100])
    expect(await count("SELECT sum(units) FROM sales_1h WHERE shop_id = 'backfill'")).toBe(1100)
  })
})

describe('a huge body (finding 8)', () => {
  it('refuses 4,000,000 `{}` lines with 413 TOO_MANY_LINES before parsing them, and the gateway keeps serving', async () => {
    const body = '{}\n'.repeat(4_000_000)
    const huge = ingest(file.gw, 'trades', [], { body })
    const health = fetch(`${file.gw.url}/health`)
    const normal = ingest(file.gw, 'trades', [{ id: 'after-huge', ts: Date.now(), symbol: 'HUGE', price: 1, qty: 1, side: 'buy' }])
    const res = await huge
    expect([res.status, await errorCode(res)]).toEqual([413, 'TOO_MANY_LINES'])
    expect((await health).status).toBe(200)
    expect(await (await normal).json()).toMatchObject({ accepted: 1 })
    expect(await count("SELECT count() FROM dead_letters WHERE error_code = 'NOT_AN_OBJECT' OR raw = '{}'")).toBe(0)
  })
})
