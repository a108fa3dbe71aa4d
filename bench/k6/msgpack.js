// A small MessagePack codec for k6 (which has no npm packages): enough for Livehouse's
// frames (nil, bool, ints, floats, str, bin, arrays, maps). See docs/protocol.md.

export function decode(buffer) {
  const view = new DataView(buffer)
  const bytes = new Uint8Array(buffer)
  let at = 0
  const str = (n) => {
    let s = ''
    for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[at + i])
    at += n
    try {
      return decodeURIComponent(escape(s))
    } catch (e) {
      return s
    }
  }
  const arr = (n) => {
    const out = new Array(n)
    for (let i = 0; i < n; i++) out[i] = read()
    return out
  }
  const map = (n) => {
    const out = {}
    for (let i = 0; i < n; i++) {
      const k = read()
      out[k] = read()
    }
    return out
  }
  const bin = (n) => {
    const out = buffer.slice(at, at + n)
    at += n
    return out
  }
  function read() {
    const b = bytes[at++]
    if (b <= 0x7f) return b
    if (b >= 0xe0) return b - 0x100
    if (b >= 0x80 && b <= 0x8f) return map(b & 0x0f)
    if (b >= 0x90 && b <= 0x9f) return arr(b & 0x0f)
    if (b >= 0xa0 && b <= 0xbf) return str(b & 0x1f)
    let v
    switch (b) {
      case 0xc0: return null
      case 0xc2: return false
      case 0xc3: return true
      case 0xc4: v = bytes[at]; at += 1; return bin(v)
      case 0xc5: v = view.getUint16(at); at += 2; return bin(v)
      case 0xc6: v = view.getUint32(at); at += 4; return bin(v)
      case 0xca: v = view.getFloat32(at); at += 4; return v
      case 0xcb: v = view.getFloat64(at); at += 8; return v
      case 0xcc: return bytes[at++]
      case 0xcd: v = view.getUint16(at); at += 2; return v
      case 0xce: v = view.getUint32(at); at += 4; return v
      case 0xcf: v = view.getUint32(at) * 4294967296 + view.getUint32(at + 4); at += 8; return v
      case 0xd0: v = view.getInt8(at); at += 1; return v
      case 0xd1: v = view.getInt16(at); at += 2; return v
      case 0xd2: v = view.getInt32(at); at += 4; return v
      case 0xd3: v = view.getInt32(at) * 4294967296 + view.getUint32(at + 4); at += 8; return v
      case 0xd9: v = bytes[at]; at += 1; return str(v)
      case 0xda: v = view.getUint16(at); at += 2; return str(v)
      case 0xdb: v = view.getUint32(at); at += 4; return str(v)
      case 0xdc: v = view.getUint16(at); at += 2; return arr(v)
      case 0xdd: v = view.getUint32(at); at += 4; return arr(v)
      case 0xde: v = view.getUint16(at); at += 2; return map(v)
      case 0xdf: v = view.getUint32(at); at += 4; return map(v)
      default: throw new Error('msgpack: unsupported byte 0x' + b.toString(16))
    }
  }
  return read()
}

/** Encodes small client frames: arrays, maps, short strings, small non-negative ints, nil. */
export function encode(value) {
  const out = []
  const write = (v) => {
    if (v === null || v === undefined) out.push(0xc0)
    else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 0x80) out.push(v)
    else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 0x100000000) out.push(0xce, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255)
    else if (typeof v === 'string') {
      const s = unescape(encodeURIComponent(v))
      if (s.length > 255) throw new Error('msgpack: string too long for this encoder')
      out.push(0xd9, s.length)
      for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i))
    } else if (Array.isArray(v)) {
      out.push(0x90 | v.length)
      v.forEach(write)
    } else if (typeof v === 'object') {
      const keys = Object.keys(v)
      out.push(0x80 | keys.length)
      keys.forEach((k) => (write(k), write(v[k])))
    } else throw new Error('msgpack: cannot encode ' + typeof v)
  }
  write(value)
  return new Uint8Array(out).buffer
}
