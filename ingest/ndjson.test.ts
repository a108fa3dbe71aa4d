import { describe, expect, it } from 'vitest'
import { countLines, parseNdjson } from './ndjson.ts'

const trade = { ts: Date.now(), symbol: 'BTC-USD', price: 1.5, qty: 2, side: 'buy' }
const options = { maxLineBytes: 1024 }

describe('parseNdjson', () => {
  it('numbers lines as the client wrote them, skipping blank lines and accepting CRLF', async () => {
    const text = [JSON.stringify(trade), '', '{bad', JSON.stringify(trade)].join('\r\n')
    const out = await parseNdjson('trades', text, options)
    expect(out.rows).toHaveLength(2)
    expect(out.rowLines).toEqual([1, 4])
    expect(out.errors).toEqual([{ line: 3, code: 'INVALID_JSON', message: expect.any(String) }])
    expect(out.rawRejected).toEqual(['{bad'])
  })

  it('rejects a line over the byte limit counting UTF-8 bytes, not characters', async () => {
    const line = JSON.stringify({ ...trade, venue: 'é'.repeat(40) })
    expect((await parseNdjson('trades', line, { maxLineBytes: line.length })).errors.map((e) => e.code)).toEqual(['LINE_TOO_LONG'])
    expect((await parseNdjson('trades', line, { maxLineBytes: Buffer.byteLength(line) })).errors).toEqual([])
  })

  it('yields to the event loop while it validates a large body (15 MB of lines froze the gateway for 22 s: issue 10, finding 8)', async () => {
    const text = Array.from({ length: 50_000 }, () => JSON.stringify(trade)).join('\n')
    let finished = false
    let ranWhileParsing = false
    setImmediate(() => (ranWhileParsing = !finished))
    const out = await parseNdjson('trades', text, { maxLineBytes: 1024, sliceMs: 1 })
    finished = true
    expect(out.rows).toHaveLength(50_000)
    expect(ranWhileParsing).toBe(true)
  })
})

describe('countLines', () => {
  it('counts the lines of a body as parseNdjson numbers them, a final newline ending the last line', () => {
    expect([countLines(''), countLines('{}'), countLines('{}\n'), countLines('{}\n{}'), countLines('{}\r\n\r\n{}\n')]).toEqual([1, 1, 1, 2, 3])
  })
})
