import { describe, expect, it } from 'vitest'
import { decodeClientFrame, decodeServerFrame, encodeServerFrame, S, type ServerFrame } from '../../api/protocol/index.ts'
// @ts-expect-error plain JavaScript shared with the k6 scripts, without types
import { frameHeader } from './frame-header.js'
// @ts-expect-error plain JavaScript of the k6 scripts, without types
import { encode } from './msgpack.js'

const meta = { columns: ['t', 'open', 'high', 'low', 'close', 'volume', 'trades', 'vwap'], key: [0], time: 0 }
const rows = (n: number) => meta.columns.map((_, c) => Array.from({ length: n }, (_, r) => (c === 0 ? r * 1000 : 100.25 + r)))

describe('frameHeader (k6 scripts)', () => {
  it('reads a DELTA header as the codec does, whatever MessagePack type each number took', () => {
    const cases: ServerFrame[] = [
      { type: S.DELTA, cid: 1, seq: 1, base: Date.UTC(2026, 11, 4), sentOffset: 250, append: rows(1), replace: null, remove: null },
      { type: S.DELTA, cid: 70_000, seq: 2 ** 33, base: Date.UTC(2026, 11, 4, 12, 0, 0, 1), sentOffset: 0, append: null, replace: rows(3), remove: null },
      { type: S.DELTA, cid: 3, seq: 200, base: 1_700_000_000_000.5, sentOffset: -5, append: null, replace: null, remove: [[1]] },
    ]
    for (const f of cases) {
      const bytes = encodeServerFrame(f)
      const d = decodeServerFrame(bytes) as Extract<ServerFrame, { type: typeof S.DELTA }>
      expect(frameHeader(bytes)).toEqual({ type: S.DELTA, cid: d.cid, seq: d.seq, base: d.base, sentOffset: d.sentOffset })
    }
  })

  it('needs only the first bytes: a large DELTA cut after its header still reads', () => {
    const bytes = encodeServerFrame({ type: S.DELTA, cid: 9, seq: 10, base: Date.UTC(2026, 0, 1), sentOffset: 7, append: rows(300), replace: null, remove: null })
    expect(bytes.byteLength).toBeGreaterThan(5000)
    expect(frameHeader(bytes.slice(0, 32))).toEqual({ type: S.DELTA, cid: 9, seq: 10, base: Date.UTC(2026, 0, 1), sentOffset: 7 })
  })

  it('reads the type of other frames; refuses what is not a frame', () => {
    const snapshot = encodeServerFrame({ type: S.SNAPSHOT, sid: 1, cid: 2, seq: 3, meta, base: 0, cols: rows(2), since: null })
    expect(frameHeader(snapshot)).toEqual({ type: S.SNAPSHOT })
    const error = encodeServerFrame({ type: S.ERROR, sid: null, code: 4000, reason: 'BAD_FRAME', message: 'x', temporary: false })
    expect(frameHeader(error)).toEqual({ type: S.ERROR })
    expect(frameHeader(new Uint8Array([0x81, 0xa1, 0x61, 0x01]))).toBeNull() // a map
    expect(frameHeader(new Uint8Array([0x95, 17, 1]))).toBeNull() // cut inside the header
    expect(frameHeader(new Uint8Array([]))).toBeNull()
  })
})

describe('encode (k6 scripts)', () => {
  it('writes the SUBSCRIBE frame ws-fanout.js sends as the server reads it', () => {
    const bytes = new Uint8Array(encode([1, 2, 'candles', { symbol: 'BTC-USD', interval: '1s' }, null]))
    expect(decodeClientFrame(bytes)).toMatchObject({ op: 1, sid: 2, channel: 'candles', params: { symbol: 'BTC-USD', interval: '1s' } })
  })
})
