import { describe, expect, it } from 'vitest'
import {
  C, clientLayouts, decode, decodeClientFrame, decodeServerFrame, encode, encodeClientFrame, encodeServerFrame, ProtocolError, S, serverLayouts, toRows, withCid,
  type ClientFrame, type ServerFrame,
} from './index.ts'

describe('protocol codec', () => {
  it('round-trips client frames', () => {
    const f = { op: C.SUBSCRIBE, sid: 3, channel: 'candles', params: { symbol: 'BTC-USD', interval: '1s' }, resume: { seq: 9, t: 1_700_000_000_000 } } as const
    expect(decodeClientFrame(encodeClientFrame(f))).toEqual(f)
    expect(decodeClientFrame(encodeClientFrame({ op: C.PING, id: 1 }))).toEqual({ op: C.PING, id: 1 })
  })

  it('round-trips a delta and rebuilds absolute times', () => {
    const frame = encodeServerFrame({ type: S.DELTA, cid: 1, seq: 2, base: 1_700_000_000_000, sentOffset: 120, append: [[0, 1000], [1.5, 2.25]], replace: null, remove: null })
    const d = decodeServerFrame(frame)
    expect(d).toMatchObject({ type: S.DELTA, seq: 2, base: 1_700_000_000_000 })
    if (d.type !== S.DELTA) throw new Error('not a delta')
    expect(toRows(d.append!, d.base, 0)).toEqual([[1_700_000_000_000, 1.5], [1_700_000_001_000, 2.25]])
    expect(frame.byteLength).toBeLessThan(48)
  })

  it('rejects malformed frames with protocol errors', () => {
    const reason = (bytes: Uint8Array) => {
      try {
        decodeClientFrame(bytes)
      } catch (e) {
        return (e as ProtocolError).reason
      }
    }
    expect(reason(new Uint8Array([0xc1]))).toBe('BAD_FRAME')
    expect(reason(encode('hello'))).toBe('BAD_FRAME')
    expect(reason(encode([42, 1]))).toBe('UNKNOWN_OP')
    expect(reason(encode([C.SUBSCRIBE, 0, 'x', {}]))).toBe('BAD_ARGUMENT')
    expect(reason(encode([C.SUBSCRIBE, 1, 'x', 'params']))).toBe('BAD_ARGUMENT')
    expect(reason(encode([C.SUBSCRIBE, 1, 'x', {}, [1]]))).toBe('BAD_ARGUMENT')
    expect(reason(new Uint8Array(Array(5000).fill(0x91)))).toBe('BAD_FRAME')
  })
})

describe('withCid', () => {
  const delta = (cid: number) => encode([S.DELTA, cid, 42, 1000, 5, [[0], [1.5]], null, null])

  it('rewrites only the cid, for every integer width', () => {
    for (const [from, to] of [[1, 2], [5, 300], [300, 5], [70_000, 1], [1, 5_000_000_000]]) {
      const out = decodeServerFrame(withCid(delta(from), to))
      expect(out).toEqual({ ...decodeServerFrame(delta(from)), cid: to })
    }
  })

  it('returns the frame itself when the cid already matches', () => {
    const frame = delta(9)
    expect(withCid(frame, 9)).toBe(frame)
  })

  it('refuses anything but a DELTA', () => {
    expect(() => withCid(encode([S.SNAPSHOT, 1, 2]), 3)).toThrow()
  })
})

describe('the codec follows the field layouts (frames.ts), which docs/protocol.md is checked against', () => {
  it('encodes every server frame as [type, ...its layout]', () => {
    for (const [name, type] of Object.entries(S)) {
      const fields = serverLayouts[name as keyof typeof S]
      // A distinct value per field, so a swapped pair shows.
      const frame = Object.fromEntries(fields.map((f, i) => [f, `v${i}`])) as Record<string, unknown>
      const bytes = encodeServerFrame({ type, ...frame } as unknown as ServerFrame)
      expect([name, decode(bytes)]).toEqual([name, [type, ...fields.map((_, i) => `v${i}`)]])
      expect(decodeServerFrame(bytes)).toEqual({ type, ...frame })
    }
  })

  it('encodes every client frame as [op, ...its layout]', () => {
    const values: Record<string, unknown> = { sid: 7, channel: 'candles', params: { a: 1 }, resume: { seq: 2, t: 3 }, id: 9 }
    for (const [name, op] of Object.entries(C)) {
      const fields = clientLayouts[name as keyof typeof C]
      const frame = { op, ...Object.fromEntries(fields.map((f) => [f, values[f]])) } as unknown as ClientFrame
      const wire = fields.map((f) => (f === 'resume' ? [2, 3] : values[f]))
      expect([name, decode(encodeClientFrame(frame))]).toEqual([name, [op, ...wire]])
      expect(decodeClientFrame(encodeClientFrame(frame))).toEqual(frame)
    }
  })
})
