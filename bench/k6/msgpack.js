// A small MessagePack encoder for k6 (which has no npm packages): enough for Livehouse's
// client frames (docs/protocol.md). Server frames are not decoded whole: frame-header.js
// reads the few header numbers latency needs.

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
