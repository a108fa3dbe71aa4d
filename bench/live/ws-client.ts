// A minimal WebSocket client over `net` for load: thousands of sockets per process with
// no per-message objects beyond the payload slice. Enough of RFC 6455 for a benchmark:
// upgrade, unfragmented server frames, masked client frames, ping → pong, close.
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

export interface WsHandlers {
  /** One complete message; `opcode` 1 text, 2 binary. The slice is only valid during the call. */
  message(payload: Buffer, opcode: number): void
  close(code: number | null): void
}

export interface MiniWs {
  send(payload: Uint8Array | string, binary?: boolean): void
  close(): void
}

/** Opens `ws://host:port/path`; resolves once the server accepted the upgrade. */
export function openWs(host: string, port: number, path: string, headers: Record<string, string>, h: WsHandlers): Promise<MiniWs> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port, noDelay: true })
    let upgraded = false
    let pending: Buffer | null = null
    let closed = false
    const finish = (code: number | null) => {
      if (closed) return
      closed = true
      socket.destroy()
      if (upgraded) h.close(code)
      else reject(new Error(`upgrade failed (${code ?? 'socket closed'})`))
    }
    const ws: MiniWs = {
      send: (payload, binary = true) => !closed && socket.write(frame(binary ? 2 : 1, typeof payload === 'string' ? Buffer.from(payload) : payload)),
      close: () => {
        if (!closed) socket.write(frame(8, Buffer.from([0x03, 0xe8])))
        setTimeout(() => finish(1000), 200).unref()
      },
    }
    socket.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
      socket.write(lines.join('\r\n') + '\r\n\r\n')
    })
    socket.on('data', (chunk: Buffer) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk
      pending = null
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return void (pending = buf)
        const status = Number(buf.toString('latin1', 9, 12))
        if (status !== 101) return finish(status)
        upgraded = true
        resolve(ws)
        buf = buf.subarray(end + 4)
      }
      let off = 0
      while (buf.length - off >= 2) {
        const b0 = buf[off]
        let len = buf[off + 1] & 0x7f
        let head = 2
        if (len === 126) {
          if (buf.length - off < 4) break
          len = buf.readUInt16BE(off + 2)
          head = 4
        } else if (len === 127) {
          if (buf.length - off < 10) break
          len = Number(buf.readBigUInt64BE(off + 2))
          head = 10
        }
        if (buf.length - off < head + len) break
        const payload = buf.subarray(off + head, off + head + len)
        off += head + len
        const opcode = b0 & 0x0f
        if (opcode === 1 || opcode === 2) h.message(payload, opcode)
        else if (opcode === 9) socket.write(frame(10, payload))
        else if (opcode === 8) return finish(payload.length >= 2 ? payload.readUInt16BE(0) : 1005)
      }
      if (off < buf.length) pending = Buffer.from(buf.subarray(off))
    })
    socket.on('error', () => finish(null))
    socket.on('close', () => finish(1006))
  })
}

/** A masked client frame (the mask is zero: legal, and the payload goes out unchanged). */
function frame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length
  const head = n < 126 ? 6 : n < 65536 ? 8 : 14
  const out = Buffer.alloc(head + n)
  out[0] = 0x80 | opcode
  if (n < 126) out[1] = 0x80 | n
  else if (n < 65536) (out[1] = 0x80 | 126), out.writeUInt16BE(n, 2)
  else (out[1] = 0x80 | 127), out.writeBigUInt64BE(BigInt(n), 2)
  out.set(payload, head)
  return out
}
