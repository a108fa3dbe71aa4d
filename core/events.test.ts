import { describe, expect, it } from 'vitest'
import { formatMs, Reject, validateEvent } from './events.ts'

const trade = { ts: '2026-11-21T10:00:00.5Z', symbol: 'BTC-USD', price: 1.5, qty: 2, side: 'buy' }
const codeOf = (r: unknown) => (r instanceof Reject ? r.code : 'OK')

describe('validateEvent', () => {
  it('normalizes timestamps to UTC milliseconds, from ISO with or without a zone and from epoch ms', () => {
    expect(validateEvent('trades', trade)).toMatchObject({ ts: '2026-11-21 10:00:00.500' })
    expect(validateEvent('trades', { ...trade, ts: '2026-11-21T12:00:00+02:00' })).toMatchObject({ ts: '2026-11-21 10:00:00.000' })
    expect(validateEvent('trades', { ...trade, ts: '2026-11-21 10:00:00' })).toMatchObject({ ts: '2026-11-21 10:00:00.000' })
    expect(validateEvent('trades', { ...trade, ts: Date.UTC(2026, 10, 21, 10, 0, 0, 123) })).toMatchObject({ ts: '2026-11-21 10:00:00.123' })
  })

  it('generates a trade id when absent and keeps a given one', () => {
    const a = validateEvent('trades', trade) as Record<string, unknown>
    const b = validateEvent('trades', trade) as Record<string, unknown>
    expect(a.id).not.toBe(b.id)
    expect(validateEvent('trades', { ...trade, id: 'x1' })).toMatchObject({ id: 'x1' })
  })

  it('applies the documented defaults for orders', () => {
    const order = { order_id: 'o', ts: 0, shop_id: 's', customer_id: 'c', product_id: 'p', category: 'k', quantity: 1, unit_price: 0, status: 'completed' }
    expect(validateEvent('orders', order)).toMatchObject({ currency: 'USD', unit_cost: null, country: '' })
  })

  it('returns a rejection as a plain value with its code and message, capturing no stack', () => {
    const r = validateEvent('trades', { ...trade, side: 'short' })
    expect(r).toBeInstanceOf(Reject)
    expect(r).toMatchObject({ code: 'INVALID_VALUE', message: expect.stringContaining('side') })
    expect(r).not.toHaveProperty('stack')
  })

  it('rejects each rule with its code', () => {
    expect(codeOf(validateEvent('trades', null))).toBe('NOT_AN_OBJECT')
    expect(codeOf(validateEvent('trades', { ...trade, price: 0 }))).toBe('OUT_OF_RANGE')
    expect(codeOf(validateEvent('trades', { ...trade, price: Infinity }))).toBe('OUT_OF_RANGE')
    expect(codeOf(validateEvent('trades', { ...trade, symbol: 'btc' }))).toBe('INVALID_VALUE')
    expect(codeOf(validateEvent('trades', { ...trade, ts: '21/11/2026' }))).toBe('INVALID_TYPE')
    expect(codeOf(validateEvent('trades', { ...trade, ts: -1 }))).toBe('OUT_OF_RANGE')
    expect(codeOf(validateEvent('orders', { order_id: 'o' }))).toBe('MISSING_FIELD')
    expect(codeOf(validateEvent('web_events', { ts: 0, session_id: 's', shop_id: 'x', type: 'click' }))).toBe('INVALID_VALUE')
  })
})

describe('formatMs', () => {
  it('formats like Date#toISOString for every millisecond pattern, across second, day and year boundaries', () => {
    const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
    const starts = [0, Date.UTC(2026, 11, 31, 23, 59, 59, 990), Date.UTC(2024, 1, 29, 0, 0, 0, 0), 4102444799000]
    for (const start of starts) for (let ms = start; ms < start + 1_030; ms += 7) expect(formatMs(ms)).toBe(iso(ms))
    // Out of order: the one-second cache must not leak a prefix into another second.
    for (const ms of [1_700_000_001_005, 1_700_000_000_999, 1_700_000_001_000, 5, 1_700_000_000_000]) expect(formatMs(ms)).toBe(iso(ms))
  })
})
