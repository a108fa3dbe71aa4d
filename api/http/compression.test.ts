import { describe, expect, it } from 'vitest'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { compressBytes, encodedBody, minCompressBytes, pickEncoding } from './compression.ts'

describe('picking an encoding from Accept-Encoding', () => {
  it('prefers br, honours q values, * and q=0, and answers identity when neither is accepted', () => {
    expect(pickEncoding(undefined)).toBeUndefined()
    expect(pickEncoding('')).toBeUndefined()
    expect(pickEncoding('identity')).toBeUndefined()
    expect(pickEncoding('deflate')).toBeUndefined()
    expect(pickEncoding('gzip, deflate, br')).toBe('br') // what browsers and undici send
    expect(pickEncoding('gzip')).toBe('gzip')
    expect(pickEncoding('br;q=0.5, gzip;q=0.8')).toBe('gzip')
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip')
    expect(pickEncoding('br;q=0, gzip;q=0')).toBeUndefined()
    expect(pickEncoding('*')).toBe('br')
    expect(pickEncoding('*;q=0.1, br;q=0')).toBe('gzip')
    expect(pickEncoding('GZIP;Q=1')).toBe('gzip')
    expect(pickEncoding('br;q=nonsense, gzip')).toBe('gzip')
  })
})

describe('compressed bodies', () => {
  const text = new TextEncoder().encode(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ t: 1_700_000_000_000 + i * 60_000, open: '101.25', close: '101.5' }))))

  it('round-trips br and gzip at both efforts, smaller than the input', () => {
    for (const effort of ['once', 'answer'] as const) {
      const br = compressBytes(text, 'br', effort)
      const gz = compressBytes(text, 'gzip', effort)
      expect(Buffer.from(brotliDecompressSync(br)).equals(Buffer.from(text))).toBe(true)
      expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(text))).toBe(true)
      expect(br.length).toBeLessThan(text.length / 4)
      expect(gz.length).toBeLessThan(text.length / 4)
    }
  })

  it('compresses once per encoding into the memo, and leaves small or unaccepted bodies alone (with Vary either way)', () => {
    const memo = new Map<string, Uint8Array>()
    const first = encodedBody(text, 'gzip, br', memo, 'answer', 'json.')
    expect(first.headers).toEqual({ vary: 'accept-encoding', 'content-encoding': 'br' })
    expect(memo.get('json.br')).toBe(first.bytes)
    const again = encodedBody(text, 'br', memo, 'answer', 'json.')
    expect(again.bytes).toBe(first.bytes) // the same bytes: no second compression
    expect(encodedBody(text, 'gzip', memo, 'answer', 'json.').headers['content-encoding']).toBe('gzip')
    expect([...memo.keys()].sort()).toEqual(['json.br', 'json.gzip'])
    const plain = encodedBody(text, undefined, memo)
    expect(plain).toEqual({ bytes: text, headers: { vary: 'accept-encoding' } })
    const small = text.subarray(0, minCompressBytes - 1)
    expect(encodedBody(small, 'br').bytes).toBe(small)
  })
})
