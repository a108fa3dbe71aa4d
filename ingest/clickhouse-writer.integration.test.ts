// INSERTs go out as TabSeparated (ingest/clickhouse-writer.ts): against the real engine, every
// value lands exactly as JSONEachRow stored it, escapes, defaults and NULLs included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertRows, toTabSeparated } from './clickhouse-writer.ts'
import { rows, startInProcess } from '../test/support/gateway.ts'

let gw: Awaited<ReturnType<typeof startInProcess>>
beforeAll(async () => {
  gw = await startInProcess()
})
afterAll(async () => gw?.stop())

describe('TabSeparated INSERTs', () => {
  it('encodes the union of keys, \\N for a missing one, escapes, and refuses objects', () => {
    expect(toTabSeparated([{ a: 'x\ty', b: 1 }, { a: 'back\\slash\nnew', c: null }])).toEqual({ columns: ['a', 'b', 'c'], body: 'x\\ty\t1\t\\N\nback\\\\slash\\nnew\t\\N\t\\N\n' })
    expect(toTabSeparated([{ a: 1, b: { nested: true } }])).toBeUndefined()
    expect(toTabSeparated([{ a: 'ok' }, { a: 'lone \ud800 surrogate' }])).toBeUndefined() // JSON: the engine refuses it, nothing altered
    expect(toTabSeparated([{}])).toBeUndefined()
  })

  it('stores what JSONEachRow stored: exact decimals and times, defaults for missing keys, NULLs, hostile text', async () => {
    const ch = gw.clickhouse('ingest')
    const ts = '2026-12-04 10:11:12.345'
    const trades = [
      { id: 'tsv-1', ts, symbol: 'TSV', price: '1234567890.12345678', qty: '0.00000001', side: 'sell', venue: 'x\ty\\z\nw' },
      { id: 'tsv-2', ts, symbol: 'TSV', price: '-0.5', qty: '1', side: 'buy' }, // no venue: its default
    ]
    await insertRows(ch, 'trades_in', trades, 'test:tsv:trades')
    const got = await rows<Record<string, string>>(ch, "SELECT id, toString(ts) AS ts, toString(price) AS price, toString(qty) AS qty, toString(side) AS side, venue, received_at > now64(3) - INTERVAL 1 HOUR AS recent FROM trades WHERE symbol = 'TSV' ORDER BY id")
    expect(got.map((r) => ({ ...r, recent: Number(r.recent) }))).toEqual([
      { id: 'tsv-1', ts, price: '1234567890.12345678', qty: '0.00000001', side: 'sell', venue: 'x\ty\\z\nw', recent: 1 },
      { id: 'tsv-2', ts, price: '-0.5', qty: '1', side: 'buy', venue: '', recent: 1 },
    ])
    const order = { order_id: 'tsv-o', ts, shop_id: 'tsv-shop', customer_id: 'c', product_id: 'p', category: 'k', quantity: 3, unit_price: '9.9999', unit_cost: null, currency: 'EUR', status: 'completed' }
    await insertRows(ch, 'orders_in', [order, { ...order, order_id: 'tsv-o2', unit_cost: '1.5' }], 'test:tsv:orders')
    const o = await rows<Record<string, string | null>>(ch, "SELECT order_id, quantity, toString(unit_price) AS unit_price, unit_cost, currency, country FROM orders WHERE shop_id = 'tsv-shop' ORDER BY order_id")
    expect(o.map((r) => ({ ...r, quantity: Number(r.quantity), unit_cost: r.unit_cost === null ? null : String(r.unit_cost) }))).toEqual([
      { order_id: 'tsv-o', quantity: 3, unit_price: '9.9999', unit_cost: null, currency: 'EUR', country: '' },
      { order_id: 'tsv-o2', quantity: 3, unit_price: '9.9999', unit_cost: '1.5', currency: 'EUR', country: '' },
    ])
  })
})
