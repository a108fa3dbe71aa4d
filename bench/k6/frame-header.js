// The header of a Livehouse server frame (docs/protocol.md), read without decoding the rest.
// A k6 VU that decodes whole frames (column blocks, strings) in k6's JavaScript engine spends
// its CPU on that and, on a shared machine, reports its own backlog as the server's latency;
// latency needs only the type and, for a DELTA, [17, cid, seq, base, sentOffset, …].
// Plain JavaScript, no k6 modules: bench/k6/frame-header.test.ts checks it against the codec.

/**
 * `{ type, cid, seq, base, sentOffset }` for a DELTA, `{ type }` for any other frame, null for
 * bytes that do not start like a frame. Reads at most the first few dozen bytes of `buffer`.
 */
export function frameHeader(buffer) {
  const bytes = new Uint8Array(buffer)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const first = bytes[at++]
  if (first === 0xdc) at += 2
  else if (first === 0xdd) at += 4
  else if (first === undefined || first < 0x91 || first > 0x9f) return null
  const num = () => {
    if (at >= bytes.length) throw new RangeError('short frame')
    const b = bytes[at++]
    if (b <= 0x7f) return b
    if (b >= 0xe0) return b - 0x100
    let v
    switch (b) {
      case 0xcc: return bytes[at++]
      case 0xcd: v = view.getUint16(at); at += 2; return v
      case 0xce: v = view.getUint32(at); at += 4; return v
      case 0xcf: v = view.getUint32(at) * 4294967296 + view.getUint32(at + 4); at += 8; return v
      case 0xd0: v = view.getInt8(at); at += 1; return v
      case 0xd1: v = view.getInt16(at); at += 2; return v
      case 0xd2: v = view.getInt32(at); at += 4; return v
      case 0xd3: v = view.getInt32(at) * 4294967296 + view.getUint32(at + 4); at += 8; return v
      case 0xca: v = view.getFloat32(at); at += 4; return v
      case 0xcb: v = view.getFloat64(at); at += 8; return v
      default: throw new RangeError(`not a number: 0x${b.toString(16)}`)
    }
  }
  try {
    const type = num()
    if (type !== 17) return { type }
    return { type, cid: num(), seq: num(), base: num(), sentOffset: num() }
  } catch (e) {
    return null
  }
}
