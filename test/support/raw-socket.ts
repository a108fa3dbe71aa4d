// Raw TCP clients for tests that need bytes a well-behaved client library never sends:
// duplicate headers, odd framing, hand-written WebSocket handshakes.
import { randomBytes } from 'node:crypto'
import net from 'node:net'

/** Sends `request` as is and resolves with everything the server wrote until it closed or `untilEnd` matched. */
export function rawHttp(port: number, request: string | Buffer, untilEnd = /\r\n\r\n[\s\S]*$/): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    let text = ''
    const done = () => {
      s.destroy()
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text })
    }
    s.on('connect', () => s.write(request))
    s.on('data', (d) => {
      text += d.toString('latin1')
      const head = text.indexOf('\r\n\r\n')
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? NaN)
      // A complete response with a Content-Length: stop there (the server may keep the connection).
      if (head >= 0 && Number.isFinite(length) && Buffer.byteLength(text.slice(head + 4), 'latin1') >= length && untilEnd.test(text)) done()
    })
    s.on('close', done)
    s.on('error', reject)
  })
}

/** A client WebSocket frame (clients must mask). */
export function maskedFrame(payload: Uint8Array, opcode = 0x2): Buffer {
  const mask = randomBytes(4)
  const n = payload.length
  const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n]) : n < 65536
    ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff])
    : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b })()])
  const body = Buffer.alloc(n)
  for (let i = 0; i < n; i++) body[i] = payload[i] ^ mask[i % 4]
  return Buffer.concat([head, mask, body])
}

export interface RawWebSocket {
  status: number
  /** The response header block of the handshake, lower-cased names. */
  headers: Record<string, string>
  /** Payloads of the data frames received so far. */
  frames: Uint8Array[]
  /** Close code from the server's close frame, or 1006 when the TCP connection ended without one. */
  closeCode?: number
  send(payload: Uint8Array): void
  destroy(): void
}

/** A hand-written WebSocket handshake on `port` with exactly `headers` (plus the key and version). */
export function rawWebSocket(port: number, headers: Record<string, string>, path = '/ws'): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    let buf: Buffer = Buffer.alloc(0)
    let ws: RawWebSocket | undefined
    const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'connection')) lines.push('Connection: Upgrade')
    s.on('connect', () => s.write(`${lines.join('\r\n')}\r\n\r\n`))
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      if (!ws) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const [statusLine, ...rest] = buf.subarray(0, end).toString('latin1').split('\r\n')
        const parsed = Object.fromEntries(rest.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
        ws = {
          status: Number(statusLine.split(' ')[1]), headers: parsed, frames: [],
          send: (payload) => s.write(maskedFrame(payload)),
          destroy: () => s.destroy(),
        }
        buf = buf.subarray(end + 4)
        resolve(ws)
      }
      buf = readFrames(buf, ws)
    })
    s.on('close', () => {
      if (ws) ws.closeCode ??= 1006
      else reject(new Error('closed before the handshake answer'))
    })
    s.on('error', (e) => (ws ? undefined : reject(e)))
  })
}

/** Consumes complete server frames from `buf` into `ws`; returns what is left. */
function readFrames(buf: Buffer, ws: RawWebSocket): Buffer {
  for (;;) {
    if (buf.length < 2) return buf
    const opcode = buf[0] & 0x0f
    let n = buf[1] & 0x7f
    let at = 2
    if (n === 126) {
      if (buf.length < 4) return buf
      n = buf.readUInt16BE(2)
      at = 4
    } else if (n === 127) {
      if (buf.length < 10) return buf
      n = Number(buf.readBigUInt64BE(2))
      at = 10
    }
    if (buf.length < at + n) return buf
    const payload = new Uint8Array(buf.subarray(at, at + n))
    if (opcode === 0x8) ws.closeCode = payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005
    else if (opcode === 0x1 || opcode === 0x2) ws.frames.push(payload)
    buf = buf.subarray(at + n)
  }
}
