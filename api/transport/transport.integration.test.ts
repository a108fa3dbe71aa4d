// The uWS adapter (api/transport/) on a real uWebSockets.js server with a minimal handler:
// upgrades decided in the callback, typed send results, subprotocols, framing checks.
import { connect } from 'node:net'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { rawHttp, rawWebSocket } from '../../test/support/raw-socket.ts'
import { framingProblem, serve, type Server } from './uws.ts'
import { chooseSubprotocol, sendResult, type SendResult, type Socket, type WebSocketHandler } from './websocket.ts'

interface Data { name: string; results: SendResult[] }
const sockets = new Map<string, Socket<Data>>()
const closes: [string, number][] = []
let server: Server

const handler: WebSocketHandler<Data> = {
  path: '/ws',
  subprotocols: ['test.v1'],
  maxPayloadBytes: 1024,
  maxBackpressureBytes: 256 * 1024,
  idleTimeoutS: 30,
  upgrade(request) {
    const name = new URL(request.url).searchParams.get('name') ?? ''
    if (name === 'refuse') return { refuse: { status: 403, body: '{"error":{"code":"FORBIDDEN","message":"no"}}' } }
    if (name === 'throw') throw new Error('handler bug')
    return { accept: { name, results: [] } }
  },
  open(socket) {
    sockets.set(socket.data.name, socket)
    socket.data.results.push(socket.send(new TextEncoder().encode(`hello ${socket.data.name}`)))
  },
  message(socket, frame) {
    socket.send(frame) // echo
  },
  drain() {},
  close(socket, code) {
    closes.push([socket.data.name, code])
  },
}

beforeAll(async () => {
  server = await serve({ host: '127.0.0.1', port: 0, maxBodyBytes: 1024, websocket: handler, fetch: () => new Response('ok') })
})
afterAll(() => server?.close())

const url = (name: string) => `ws://127.0.0.1:${server.port}/ws?name=${name}`
/** A client socket; `got` collects its messages from the start (the first one can come with the 101). */
const open = (name: string, protocols: string[] = []) => new Promise<WebSocket & { got: string[] }>((resolve, reject) => {
  const ws = Object.assign(new WebSocket(url(name), protocols), { got: [] as string[] })
  ws.on('message', (d) => ws.got.push(String(d)))
  ws.once('open', () => resolve(ws))
  ws.once('unexpected-response', (_q, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })))
  ws.once('error', reject)
})

describe('upgrade', () => {
  it('accepts with the handler data and answers refusals and handler errors over HTTP', async () => {
    const ws = await open('a')
    await eventually(() => expect(ws.got).toEqual(['hello a']))
    expect(sockets.get('a')!.data.results).toEqual(['sent'])
    ws.close()
    await expect(open('refuse')).rejects.toMatchObject({ status: 403 })
    await expect(open('throw')).rejects.toMatchObject({ status: 500 })
  })

  it('keeps a connection open that uWS would have closed after an asynchronous upgrade (Connection: close)', async () => {
    const ws = await rawWebSocket(server.port, { Connection: 'close' }, '/ws?name=cc')
    expect(ws.status).toBe(101)
    ws.send(new TextEncoder().encode('ping'))
    await eventually(() => expect(ws.frames.map((f) => new TextDecoder().decode(f))).toEqual(['hello cc', 'ping']))
    expect(ws.closeCode).toBeUndefined()
    ws.destroy()
  })

  it('answers the first offered subprotocol it speaks, never another one', async () => {
    const ws = await open('p', ['bearer.secret', 'test.v1'])
    expect(ws.protocol).toBe('test.v1')
    ws.close()
    expect(chooseSubprotocol('bearer.x, other', ['test.v1'])).toBe('')
    expect(chooseSubprotocol(null, ['test.v1'])).toBe('')
    expect(chooseSubprotocol(' test.v1 ,bearer.x', ['test.v1'])).toBe('test.v1')
  })
})

describe('Socket.send', () => {
  it("maps uWS's 1/0/2 to sent/buffered/dropped", () => {
    expect([sendResult(1), sendResult(0), sendResult(2)]).toEqual(['sent', 'buffered', 'dropped'])
  })

  it("says 'buffered' once a client stops reading, and 'dropped' past maxBackpressureBytes", async () => {
    const ws = await open('slow')
    ;(ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const socket = sockets.get('slow')!
    const frame = new Uint8Array(64 * 1024)
    const results = new Set<SendResult>()
    for (let i = 0; i < 2000 && !results.has('dropped'); i++) results.add(socket.send(frame))
    expect([...results]).toEqual(['sent', 'buffered', 'dropped'])
    expect(socket.bufferedBytes()).toBeGreaterThan(256 * 1024)
    ws.terminate()
  })
})

describe('frames and pub/sub', () => {
  it('publishes to the subscribers of a topic', async () => {
    const [a, b] = [await open('pa'), await open('pb')]
    const got = { a: a.got, b: b.got }
    sockets.get('pa')!.subscribe('t')
    expect(server.subscribers('t')).toBe(1)
    server.publish('t', new TextEncoder().encode('news'))
    await eventually(() => expect(got.a).toContain('news'))
    expect(got.b).not.toContain('news')
    a.close()
    b.close()
  })

  it('drops a frame above maxPayloadBytes without a close frame (the caller sees 1006)', async () => {
    const ws = await open('big')
    const code = new Promise<number>((resolve) => ws.once('close', resolve))
    ws.send(new Uint8Array(2048))
    expect(await code).toBe(1006)
    await eventually(() => expect(closes).toContainEqual(['big', 1006]))
  })
})

describe('HTTP framing', () => {
  const req = (headers: [string, string][]) => ({ forEach: (cb: (k: string, v: string) => void) => headers.forEach(([k, v]) => cb(k, v)) })

  it('names what makes a request ambiguous', () => {
    expect(framingProblem(req([['content-length', '5']]))).toBeUndefined()
    expect(framingProblem(req([['transfer-encoding', ' Chunked ']]))).toBeUndefined()
    expect(framingProblem(req([['content-length', '5'], ['content-length', '5']]))).toMatch(/Content-Length/)
    expect(framingProblem(req([['transfer-encoding', 'gzip, chunked']]))).toMatch(/chunked/)
    expect(framingProblem(req([['transfer-encoding', 'chunked'], ['transfer-encoding', 'chunked']]))).toMatch(/chunked/)
    expect(framingProblem(req([['transfer-encoding', 'chunked'], ['content-length', '5']]))).toMatch(/both/)
  })

  it('answers them 400 and closes the connection', async () => {
    const r = await rawHttp(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab')
    expect(r.status).toBe(400)
    expect(r.text).toContain('AMBIGUOUS_FRAMING')
  })
})

describe('close', () => {
  it('answers requests that arrive on kept-alive connections afterwards 503 SHUTTING_DOWN and closes them', async () => {
    const own = await serve({ host: '127.0.0.1', port: 0, maxBodyBytes: 1024, fetch: () => new Response('ok') })
    const socket = connect(own.port, '127.0.0.1')
    let received = ''
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (d) => (received += String(d)))
    try {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await eventually(() => expect(received).toMatch(/^HTTP\/1\.1 200 [\s\S]*ok$/))
      own.close()
      received = ''
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await ended
      expect(received).toMatch(/^HTTP\/1\.1 503 /)
      expect(received).toMatch(/\r\nretry-after: 1\r\n/i)
      expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).error.code).toBe('SHUTTING_DOWN')
    } finally {
      socket.destroy()
      own.close()
    }
  })
})
