import { describe, expect, it } from 'vitest'
import { parseNdjson } from './ndjson.ts'

const trade = { ts: '2026-11-21T10:00:00.5Z', symbol: 'BTC-USD', price: 1.5, qty: 2, side: 'buy' }

describe('parseNdjson', () => {
  it('numbers lines as the client wrote them, skipping blank lines and accepting CRLF', () => {
    const text = [JSON.stringify(trade), '', '{bad', JSON.stringify(trade)].join('\r\n')
    const out = parseNdjson('trades', text, 1024)
    expect(out.rows).toHaveLength(2)
    expect(out.errors).toEqual([{ line: 3, code: 'INVALID_JSON', message: expect.any(String) }])
    expect(out.rawRejected).toEqual(['{bad'])
  })

  it('rejects a line over the byte limit counting UTF-8 bytes, not characters', () => {
    const line = JSON.stringify({ ...trade, venue: 'é'.repeat(40) })
    expect(parseNdjson('trades', line, line.length).errors.map((e) => e.code)).toEqual(['LINE_TOO_LONG'])
    expect(parseNdjson('trades', line, Buffer.byteLength(line)).errors).toEqual([])
  })
})
