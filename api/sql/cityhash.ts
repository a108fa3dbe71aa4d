/**
 * CityHash128, version 1.0.2: the checksum of ClickHouse's compressed blocks (`compress=1`),
 * which no maintained npm package provides (there are CityHash64 ports only). 64-bit lanes as
 * BigInt, masked after every step; written from the published algorithm, checked against
 * clickhouse-go's and JDBC's decoders in test/compat and against vectors in cityhash.test.ts.
 */
const M = (1n << 64n) - 1n
const k0 = 0xc3a5c85c97cb3127n
const k1 = 0xb492b66fbe98f273n
const k2 = 0x9ae16a3b2f90404fn
const k3 = 0xc949d7c7509e6557n
const kMul = 0x9ddfea08eb382d69n

export interface U128 {
  low: bigint
  high: bigint
}

const mul = (a: bigint, b: bigint) => (a * b) & M
const add = (...xs: bigint[]) => xs.reduce((s, x) => (s + x) & M, 0n)
const sub = (a: bigint, b: bigint) => (a - b) & M
const rotate = (v: bigint, s: number) => (s === 0 ? v : ((v >> BigInt(s)) | (v << BigInt(64 - s))) & M)
const shiftMix = (v: bigint) => v ^ (v >> 47n)

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, kMul)
  a ^= a >> 47n
  let b = mul(v ^ a, kMul)
  b ^= b >> 47n
  return mul(b, kMul)
}

class Bytes {
  constructor(readonly b: Buffer) {}
  f64(i: number) {
    return this.b.readBigUInt64LE(i)
  }
  f32(i: number) {
    return BigInt(this.b.readUInt32LE(i))
  }
}

function hashLen0to16(s: Bytes, at: number, len: number): bigint {
  const n = BigInt(len)
  if (len > 8) {
    const a = s.f64(at)
    const b = s.f64(at + len - 8)
    return hashLen16(a, rotate(add(b, n), len)) ^ b
  }
  if (len >= 4) {
    const a = s.f32(at)
    return hashLen16(add(n, (a << 3n) & M), s.f32(at + len - 4))
  }
  if (len > 0) {
    const a = BigInt(s.b[at])
    const b = BigInt(s.b[at + (len >> 1)])
    const c = BigInt(s.b[at + len - 1])
    const y = (a + (b << 8n)) & 0xffffffffn
    const z = (n + (c << 2n)) & 0xffffffffn
    return mul(shiftMix(mul(y, k2) ^ mul(z, k3)), k2)
  }
  return k2
}

function cityMurmur(s: Bytes, at: number, len: number, seed: U128): U128 {
  let a = seed.low
  let b = seed.high
  let c: bigint
  let d: bigint
  let l = len - 16
  if (l <= 0) {
    a = mul(shiftMix(mul(a, k1)), k1)
    c = add(mul(b, k1), hashLen0to16(s, at, len))
    d = shiftMix(add(a, len >= 8 ? s.f64(at) : c))
  } else {
    c = hashLen16(add(s.f64(at + len - 8), k1), a)
    d = hashLen16(add(b, BigInt(len)), add(c, s.f64(at + len - 16)))
    a = add(a, d)
    do {
      a ^= mul(shiftMix(mul(s.f64(at), k1)), k1)
      a = mul(a, k1)
      b ^= a
      c ^= mul(shiftMix(mul(s.f64(at + 8), k1)), k1)
      c = mul(c, k1)
      d ^= c
      at += 16
      l -= 16
    } while (l > 0)
  }
  a = hashLen16(a, c)
  b = hashLen16(d, b)
  return { low: a ^ b, high: hashLen16(b, a) }
}

function weak32(s: Bytes, at: number, a: bigint, b: bigint): [bigint, bigint] {
  const w = s.f64(at)
  const x = s.f64(at + 8)
  const y = s.f64(at + 16)
  const z = s.f64(at + 24)
  a = add(a, w)
  b = rotate(add(b, a, z), 21)
  const c = a
  a = add(a, x, y)
  b = add(b, rotate(a, 44))
  return [add(a, z), add(b, c)]
}

function city128WithSeed(s: Bytes, at: number, len: number, seed: U128): U128 {
  if (len < 128) return cityMurmur(s, at, len, seed)
  let x = seed.low
  let y = seed.high
  let z = mul(BigInt(len), k1)
  let v: [bigint, bigint] = [0n, 0n]
  let w: [bigint, bigint] = [0n, 0n]
  v[0] = add(mul(rotate(y ^ k1, 49), k1), s.f64(at))
  v[1] = add(mul(rotate(v[0], 42), k1), s.f64(at + 8))
  w[0] = add(mul(rotate(add(y, z), 35), k1), x)
  w[1] = mul(rotate(add(x, s.f64(at + 88)), 53), k1)
  const round = () => {
    x = mul(rotate(add(x, y, v[0], s.f64(at + 16)), 37), k1)
    y = mul(rotate(add(y, v[1], s.f64(at + 48)), 42), k1)
    x ^= w[1]
    y ^= v[0]
    z = rotate(z ^ w[0], 33)
    v = weak32(s, at, mul(v[1], k1), add(x, w[0]))
    w = weak32(s, at + 32, add(z, w[1]), y)
    ;[z, x] = [x, z]
    at += 64
  }
  do {
    round()
    round()
    len -= 128
  } while (len >= 128)
  y = add(y, mul(rotate(w[0], 37), k0), z)
  x = add(x, mul(rotate(add(v[0], z), 49), k0))
  for (let done = 0; done < len;) {
    done += 32
    y = add(mul(rotate(sub(y, x), 42), k0), v[1])
    w[0] = add(w[0], s.f64(at + len - done + 16))
    x = add(mul(rotate(x, 49), k0), w[0])
    w[0] = add(w[0], v[0])
    v = weak32(s, at + len - done, v[0], v[1])
  }
  x = hashLen16(x, v[0])
  y = hashLen16(y, w[0])
  return { low: add(hashLen16(add(x, v[1]), w[1]), y), high: hashLen16(add(x, w[1]), add(y, v[1])) }
}

/** CityHash128 v1.0.2 of `data`, as ClickHouse computes a compressed block's checksum. */
export function cityHash128(data: Buffer): U128 {
  const s = new Bytes(data)
  const len = data.length
  if (len >= 16) return city128WithSeed(s, 16, len - 16, { low: s.f64(0) ^ k3, high: s.f64(8) })
  if (len >= 8) return city128WithSeed(s, 0, 0, { low: s.f64(0) ^ mul(BigInt(len), k0), high: s.f64(len - 8) ^ k1 })
  return city128WithSeed(s, 0, len, { low: k0, high: k1 })
}
