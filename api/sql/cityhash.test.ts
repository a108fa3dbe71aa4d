import { describe, expect, it } from 'vitest'
import { cityHash128 } from './cityhash.ts'
import { frame, lz4Literals } from './framed.ts'

// Vectors from an independent CityHash128 v1.0.2 (github.com/go-faster/city, the one
// clickhouse-go checks frames with) over bytes (i*131+7) % 251, one per code path.
const vectors: [number, string, string][] = [
  [0, '3df09dfc64c09a2b', '3cb540c392e51e29'],
  [3, '2719d30f04a426eb', 'a75210708737086e'],
  [7, 'a2f4923d428f2b55', '736fe05b2d2ad15f'],
  [9, '00b4ada22538c7cc', '9709e82195f3344b'],
  [16, 'fa48737e683403cc', '70c62ffbf6592ea2'],
  [33, '9d6a053212d753a1', '2de1341e38df90ea'],
  [127, '72e7acb1118699b6', 'e2400179e145b5d2'],
  [128, '0945539e340f5fc0', '020f7be2421d906e'],
  [150, '6da00891720e79c4', '1d69190d86c11731'],
  [257, '5989569e3ada41e4', '9a80236dd4b31a55'],
  [4096, '1f9380644b624edf', '468a8df1c53308c3'],
  [100000, 'b1f9ea56440c9a3d', '347718840233c19e'],
]

const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 7) % 251))
const hex = (v: bigint) => v.toString(16).padStart(16, '0')

describe('CityHash128 v1.0.2', () => {
  for (const [n, low, high] of vectors) {
    it(`matches the reference over ${n} bytes`, () => {
      const h = cityHash128(bytes(n))
      expect([hex(h.low), hex(h.high)]).toEqual([low, high])
    })
  }
})

describe('compress=1 frames', () => {
  it('an LZ4 literal run encodes its length in the token and 255-continuation bytes', () => {
    expect([...lz4Literals(Buffer.from('abc'))]).toEqual([0x30, 97, 98, 99])
    const long = lz4Literals(Buffer.alloc(15 + 255 + 3, 1))
    expect([...long.subarray(0, 3)]).toEqual([0xf0, 255, 3])
    expect(long.length).toBe(3 + 273)
  })
  it('a frame carries method 0x82, both sizes and the checksum of what follows it', () => {
    const f = frame(Buffer.from('hello'))
    expect(f[16]).toBe(0x82)
    expect(f.readUInt32LE(17)).toBe(f.length - 16)
    expect(f.readUInt32LE(21)).toBe(5)
    const h = cityHash128(f.subarray(16))
    expect([f.readBigUInt64LE(0), f.readBigUInt64LE(8)]).toEqual([h.low, h.high])
  })
})
