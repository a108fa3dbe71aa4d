import { describe, expect, it } from 'vitest'
import { maxRequestBytes, toMessages, toRequests } from './kafka-sink.ts'

const bytesOf = (request: { value: string }[]) => request.reduce((n, m) => n + Buffer.byteLength(m.value), 0)

describe('toRequests', () => {
  it('keeps every produce request under the byte limit counting UTF-8 bytes, not characters', () => {
    // 'é' is one UTF-16 code unit but two UTF-8 bytes: two messages fit the limit in characters, not in bytes.
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, venue: 'é'.repeat(600) }))
    const requests = toRequests(toMessages([{ rows }], 500))
    const chars = requests.flat().reduce((n, m) => n + m.value.length, 0)
    expect(chars).toBeLessThan(maxRequestBytes)
    expect(requests.map((r) => r.length)).toEqual([1, 1])
    for (const r of requests) expect(bytesOf(r)).toBeLessThanOrEqual(maxRequestBytes)
    expect(requests.flat().flatMap((m) => m.value.split('\n').map((l) => JSON.parse(l).id))).toEqual(rows.map((r) => r.id))
  })

  it('packs small messages into one request and sends an oversized message alone', () => {
    expect(toRequests(toMessages([{ rows: Array.from({ length: 1000 }, (_, i) => ({ id: i })) }], 100)).map((r) => r.length)).toEqual([10])
    const big = { id: 0, venue: 'x'.repeat(maxRequestBytes) }
    expect(toRequests(toMessages([{ rows: [{ id: 1 }, big, { id: 2 }] }], 1)).map((r) => r.length)).toEqual([1, 1, 1])
  })
})

describe('toMessages', () => {
  it('never mixes two requests in a message, and numbers the messages of an idempotent request in its header and key', () => {
    const messages = toMessages([{ rows: [{ n: 1 }, { n: 2 }, { n: 3 }], key: 'k1' }, { rows: [{ n: 4 }] }], 2)
    expect(messages).toEqual([
      { key: 'k1#0', value: '{"n":1}\n{"n":2}', headers: { 'idempotency-key': 'k1#0' } },
      { key: 'k1#1', value: '{"n":3}', headers: { 'idempotency-key': 'k1#1' } },
      { value: '{"n":4}' },
    ])
  })
})
