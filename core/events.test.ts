import { describe, expect, it } from 'vitest'
import { formatMs, oldestAcceptedMs, Reject, retentionDays, validateEvent, type Row } from './events.ts'

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
    const order = { order_id: 'o', ts: '2026-01-01', shop_id: 's', customer_id: 'c', product_id: 'p', category: 'k', quantity: 1, unit_price: 0, status: 'completed' }
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
    expect(codeOf(validateEvent('web_events', { ts: Date.now(), session_id: 's', shop_id: 'x', type: 'click' }))).toBe('INVALID_VALUE')
  })
})

const now = Date.UTC(2026, 10, 22, 12, 0, 0)
const order = { order_id: 'o1', ts: '2026-11-21T10:00:00Z', shop_id: 's', customer_id: 'c', product_id: 'p', category: 'k', quantity: 1, unit_price: 1, status: 'completed' }
const row = (r: Row | Reject) => {
  if (r instanceof Reject) throw new Error(`rejected: ${r.code} ${r.message}`)
  return r
}

describe('events older than the raw tables keep them, or in epoch seconds (issue 10, finding 10)', () => {
  const day = 86_400_000
  it('refuses a trade or web event older than the 365-day TTL with OUT_OF_RETENTION, per line', () => {
    const old = now - 400 * day
    expect(validateEvent('trades', { ...trade, ts: old }, now)).toMatchObject({ code: 'OUT_OF_RETENTION', message: expect.stringContaining('365-day') })
    expect(validateEvent('web_events', { ts: new Date(old).toISOString(), session_id: 's', shop_id: 'x', type: 'view' }, now)).toMatchObject({ code: 'OUT_OF_RETENTION' })
    // One day of margin: an accepted event is never expired before it lands.
    expect(row(validateEvent('trades', { ...trade, ts: now - 363 * day }, now))).toMatchObject({ symbol: 'BTC-USD' })
    expect(codeOf(validateEvent('trades', { ...trade, ts: now - 364 * day - 1 }, now))).toBe('OUT_OF_RETENTION')
    expect(oldestAcceptedMs('trades', now)).toBe(now - 364 * day)
  })

  it('keeps orders of any age (orders have no TTL)', () => {
    expect(retentionDays.orders).toBeUndefined()
    expect(row(validateEvent('orders', { ...order, ts: '2001-01-01T00:00:00Z' }, now))).toMatchObject({ ts: '2001-01-01 00:00:00.000' })
  })

  it('refuses epoch seconds on every stream instead of storing them in 1970', () => {
    const seconds = Math.floor(now / 1000)
    for (const [stream, event] of [['trades', trade], ['orders', order]] as const) {
      expect(validateEvent(stream, { ...event, ts: seconds }, now)).toMatchObject({ code: 'OUT_OF_RANGE', message: expect.stringContaining('seconds') })
    }
  })
})

describe('values are stored as sent, rounded the documented way, or refused (issue 10, finding 11)', () => {
  it('refuses a price that rounds to 0 at 8 decimals (1e-300 was stored as 0)', () => {
    expect(validateEvent('trades', { ...trade, price: 1e-300 }, now)).toMatchObject({ code: 'OUT_OF_RANGE', message: expect.stringContaining('rounds to 0') })
    expect(codeOf(validateEvent('trades', { ...trade, qty: 0.000000004 }, now))).toBe('OUT_OF_RANGE')
    expect(row(validateEvent('trades', { ...trade, price: 0.000000005 }, now))).toMatchObject({ price: '0.00000001' })
  })

  it('refuses impossible dates and times instead of rolling them over (2026-02-30 became 2026-03-02)', () => {
    for (const ts of ['2026-02-30', '2026-02-30T10:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-04-31 12:00', '2026-01-01T24:00:00Z', '2026-01-01T10:60:00Z', '2026-01-01T10:00:60Z', '2026-01-01T10:00:00+25:00']) {
      expect([ts, codeOf(validateEvent('orders', { ...order, ts }, now))]).toEqual([ts, 'INVALID_VALUE'])
    }
    expect(row(validateEvent('orders', { ...order, ts: '2024-02-29' }, now))).toMatchObject({ ts: '2024-02-29 00:00:00.000' })
    expect(row(validateEvent('orders', { ...order, ts: '2026-03-01T00:30:00+01:00' }, now))).toMatchObject({ ts: '2026-02-28 23:30:00.000' })
    expect(row(validateEvent('orders', { ...order, ts: '2026-03-01T00:00:00.123456789Z' }, now))).toMatchObject({ ts: '2026-03-01 00:00:00.123' })
  })

  it('rounds decimals half away from zero to the column scale (0.123456789 was cut to 0.1234)', () => {
    expect(row(validateEvent('orders', { ...order, unit_price: 0.123456789 }, now))).toMatchObject({ unit_price: '0.1235' })
    expect(row(validateEvent('orders', { ...order, unit_price: 0.00015, unit_cost: 1.00004999 }, now))).toMatchObject({ unit_price: '0.0002', unit_cost: '1' })
    expect(row(validateEvent('orders', { ...order, unit_price: 1.005 }, now))).toMatchObject({ unit_price: 1.005 })
    expect(row(validateEvent('trades', { ...trade, price: 10.123456785, qty: '0.123456784' }, now))).toMatchObject({ price: '10.12345679', qty: '0.12345678' })
  })

  it('takes decimal strings for exact values and refuses anything else as a number', () => {
    expect(row(validateEvent('trades', { ...trade, price: '9999999999.99999999' }, now))).toMatchObject({ price: '9999999999.99999999' })
    expect(codeOf(validateEvent('trades', { ...trade, price: '10000000000' }, now))).toBe('OUT_OF_RANGE')
    for (const price of ['ten', '1e5', '0x10', ' 5', '', '5.', true, [5], { v: 5 }]) expect([price, codeOf(validateEvent('trades', { ...trade, price }, now))]).toEqual([price, 'INVALID_TYPE'])
    expect(codeOf(validateEvent('trades', { ...trade, price: '-5' }, now))).toBe('OUT_OF_RANGE')
    expect(codeOf(validateEvent('orders', { ...order, quantity: 2 ** 32 }, now))).toBe('OUT_OF_RANGE')
    expect(row(validateEvent('orders', { ...order, quantity: 2 ** 32 - 1 }, now))).toMatchObject({ quantity: 2 ** 32 - 1 })
  })

  it('is idempotent: a row validates again to itself (the Kafka consumer re-validates what HTTP produced)', () => {
    const rows = [
      row(validateEvent('trades', { ...trade, id: 't', price: 10.123456785, qty: 3, venue: 'X' }, now)),
      row(validateEvent('orders', { ...order, unit_price: 0.123456789, unit_cost: 2, country: 'DE' }, now)),
      row(validateEvent('orders', order, now)),
      row(validateEvent('web_events', { ts: '2026-11-21T10:00:00.5+01:00', session_id: 's', shop_id: 'ACME Store', type: 'view' }, now)),
    ]
    const streamsOf = ['trades', 'orders', 'orders', 'web_events'] as const
    rows.forEach((r, i) => expect(validateEvent(streamsOf[i], JSON.parse(JSON.stringify(r)), now)).toEqual(r))
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
