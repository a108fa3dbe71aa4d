// The only importer of uWebSockets.js: HTTP is handed to a fetch handler (Hono) and
// WebSocket events to a socket-agnostic handler, so nothing else knows uWS exists.
import uWS from 'uWebSockets.js'
import { BodyTooLargeError } from '../http/body.ts'
import { knownBody } from '../http/raw-body.ts'

export type FetchHandler = (request: Request, env: { remoteAddress: string }) => Response | Promise<Response>

/** A WebSocket as the rest of the gateway sees it. */
export interface Socket<U> {
  readonly data: U
  /** 1 sent, 0 sent but buffered (backpressure), 2 dropped. */
  send(frame: Uint8Array): number
  bufferedBytes(): number
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  end(code: number, reason: string): void
  cork(fn: () => void): void
}

/**
 * The first offered subprotocol this server speaks, or '' (no Sec-WebSocket-Protocol in the
 * answer). Never simply the first offered one: clients also carry credentials there.
 */
export function chooseSubprotocol(offered: string | null, supported: readonly string[]): string {
  for (const p of (offered ?? '').split(',')) if (supported.includes(p.trim())) return p.trim()
  return ''
}

export type UpgradeDecision<U> = { accept: U } | { refuse: { status: number; body: string } }

export interface WebSocketHandler<U> {
  path: string
  /** Subprotocols this handler speaks; the answer names the first one the client offered. */
  subprotocols: readonly string[]
  maxPayloadBytes: number
  maxBackpressureBytes: number
  idleTimeoutS: number
  /**
   * Decides whether to accept, synchronously (see mountWebSocket: an upgrade after an await
   * can be dropped by uWS): the connection's data, or an HTTP status and JSON body to refuse with.
   */
  upgrade(request: Request, env: { remoteAddress: string }): UpgradeDecision<U>
  open(socket: Socket<U>): void
  message(socket: Socket<U>, frame: Uint8Array, isBinary: boolean): void
  drain(socket: Socket<U>): void
  close(socket: Socket<U>, code: number): void
}

export interface Server {
  port: number
  /** Sends one frame to every socket subscribed to `topic` (uWS pub/sub). */
  publish(topic: string, frame: Uint8Array): boolean
  subscribers(topic: string): number
  close(): void
}

export interface ServeOptions {
  host: string
  port: number
  fetch: FetchHandler
  /** Hard cap on request bodies read from the socket; routes apply their own, smaller limits. */
  maxBodyBytes: number
  websocket?: WebSocketHandler<any>
}

export function serve(options: ServeOptions): Promise<Server> {
  const app = uWS.App()
  if (options.websocket) mountWebSocket(app, options.websocket)
  app.any('/*', (res, req) => handleHttp(res, req, options))
  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket) => {
      if (!listenSocket) return reject(new Error(`cannot listen on ${options.host}:${options.port}`))
      resolve({
        port: uWS.us_socket_local_port(listenSocket),
        publish: (topic, frame) => app.publish(topic, frame, true),
        subscribers: (topic) => app.numSubscribers(topic),
        close: () => uWS.us_listen_socket_close(listenSocket),
      })
    })
  })
}

function readRequest(res: uWS.HttpResponse, req: uWS.HttpRequest, host: string) {
  const headers = new Headers()
  req.forEach((k, v) => headers.append(k, v))
  const query = req.getQuery()
  const url = `http://${headers.get('host') ?? host}${req.getUrl()}${query ? `?${query}` : ''}`
  const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString()
  return { method: req.getCaseSensitiveMethod().toUpperCase(), url, headers, remoteAddress }
}

/**
 * Why a request's body boundaries are ambiguous, if they are: behind a proxy that reads them
 * differently, the rest of the stream could be another request (request smuggling). Only one
 * Content-Length, or one Transfer-Encoding that is exactly `chunked`.
 */
export function framingProblem(req: { forEach(cb: (key: string, value: string) => void): void }): string | undefined {
  let lengths = 0
  const encodings: string[] = []
  req.forEach((k, v) => {
    if (k === 'content-length') lengths++
    else if (k === 'transfer-encoding') encodings.push(v.trim().toLowerCase())
  })
  if (lengths > 1) return 'more than one Content-Length header'
  if (encodings.length > 1 || (encodings.length === 1 && encodings[0] !== 'chunked')) return 'Transfer-Encoding must be exactly chunked, once'
  if (encodings.length && lengths) return 'both Content-Length and Transfer-Encoding'
  return undefined
}

function handleHttp(res: uWS.HttpResponse, req: uWS.HttpRequest, options: ServeOptions) {
  const framing = framingProblem(req)
  if (framing) {
    // Closing: the bytes after this request cannot be trusted to start the next one.
    res.writeStatus('400 Bad Request').writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ error: { code: 'AMBIGUOUS_FRAMING', message: framing } }), true)
    return
  }
  const { method, url, headers, remoteAddress } = readRequest(res, req, `${options.host}:${options.port}`)
  // An AbortController per request is costly; it is made only when someone reads the signal.
  const state = { aborted: false }
  let aborter: AbortController | undefined
  res.onAborted(() => ((state.aborted = true), aborter?.abort()))
  const signal = () => {
    aborter ??= new AbortController()
    if (state.aborted) aborter.abort()
    return aborter.signal
  }
  const request = method === 'GET' || method === 'HEAD'
    ? lightRequest(method, url, headers, signal)
    : new Request(url, {
      method,
      headers,
      body: bodyStream(res, options.maxBodyBytes),
      signal: signal(),
      // @ts-expect-error Node's fetch needs duplex for streamed request bodies
      duplex: 'half',
    })
  Promise.resolve()
    .then(() => options.fetch(request, { remoteAddress }))
    .then((response) => writeResponse(res, response, state, method === 'HEAD'))
    .catch(() => {
      if (!state.aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end('{"error":{"code":"INTERNAL","message":"internal error"}}'))
    })
}

const real = Symbol('request')
type Light = { [real]?: Request; m: string; u: string; h: Headers; s: () => AbortSignal }
const materialize = (l: Light) => (l[real] ??= new Request(l.u, { method: l.m, headers: l.h, signal: l.s() }))

// A body-less Request whose Node (undici) object, the costly part, is built only when
// something beyond method, url and headers is read (the idea of @hono/node-server's).
const lightPrototype: object = Object.create(Request.prototype, {
  method: { get(this: Light) { return this.m } },
  url: { get(this: Light) { return this.u } },
  headers: { get(this: Light) { return this.h } },
  ...Object.fromEntries(['body', 'bodyUsed', 'cache', 'credentials', 'destination', 'duplex', 'integrity', 'keepalive', 'mode', 'redirect', 'referrer', 'referrerPolicy', 'signal']
    .map((k) => [k, { get(this: Light) { return materialize(this)[k as keyof Request] } }])),
  ...Object.fromEntries(['arrayBuffer', 'blob', 'bytes', 'clone', 'formData', 'json', 'text']
    .map((k) => [k, { value(this: Light) { return (materialize(this) as unknown as Record<string, () => unknown>)[k]() } }])),
})

function lightRequest(method: string, url: string, headers: Headers, signal: () => AbortSignal): Request {
  return Object.assign(Object.create(lightPrototype), { m: method, u: url, h: headers, s: signal }) as Request
}

/** The request body as a stream; uWS pauses the socket while the consumer is behind. */
function bodyStream(res: uWS.HttpResponse, maxBytes: number): ReadableStream<Uint8Array> {
  let received = 0
  let done = false
  let paused = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      res.onData((chunk, isLast) => {
        if (done) return
        received += chunk.byteLength
        if (received > maxBytes) {
          done = true
          return controller.error(new BodyTooLargeError())
        }
        // uWS reuses the chunk's memory after this callback returns: copy it.
        controller.enqueue(new Uint8Array(chunk.slice(0)))
        if (isLast) {
          done = true
          controller.close()
        } else if ((controller.desiredSize ?? 1) <= 0) { paused = true; res.pause() }
      })
    },
    pull() {
      // Resuming a response that never paused (or has ended) upsets uWS's keep-alive handling.
      if (paused && !done) {
        paused = false
        res.resume()
      }
    },
    cancel() {
      done = true
    },
  }, { highWaterMark: 64 })
}

async function writeResponse(res: uWS.HttpResponse, response: Response, signal: { aborted: boolean }, head: boolean) {
  if (signal.aborted) return
  const writeHead = () => {
    res.writeStatus(`${response.status} ${response.statusText || 'OK'}`)
    response.headers.forEach((value, key) => {
      if (key !== 'content-length' && key !== 'transfer-encoding' && key !== 'set-cookie') res.writeHeader(key, value)
    })
    for (const cookie of response.headers.getSetCookie()) res.writeHeader('set-cookie', cookie)
  }
  // Checked first: reading `response.body` would make the stream this path avoids.
  const known = knownBody(response)
  if (known || !response.body || head) {
    res.cork(() => {
      writeHead()
      if (known && !head) res.end(known)
      else res.end()
    })
    return
  }
  const reader = response.body.getReader()
  // Small bodies (the common JSON case) go out in one corked write with a Content-Length.
  const first = await reader.read()
  if (signal.aborted) return void reader.cancel()
  const second = first.done ? first : await reader.read()
  if (signal.aborted) return void reader.cancel()
  if (second.done) {
    res.cork(() => {
      writeHead()
      res.end(first.value ?? new Uint8Array(0))
    })
    return
  }
  res.cork(() => {
    writeHead()
    res.write(first.value!)
  })
  for (let chunk: ReadableStreamReadResult<Uint8Array> = second; !chunk.done; chunk = await reader.read()) {
    if (signal.aborted) return void reader.cancel()
    let ok = true
    res.cork(() => (ok = res.write(chunk.value!)))
    if (!ok) await new Promise<void>((resolve) => res.onWritable(() => (resolve(), true)))
  }
  if (!signal.aborted) res.cork(() => res.end())
}

function mountWebSocket<U>(app: uWS.TemplatedApp, handler: WebSocketHandler<U>) {
  const wrap = (ws: uWS.WebSocket<{ socket?: Socket<U>; data: U }>): Socket<U> => {
    const holder = ws.getUserData()
    return (holder.socket ??= {
      data: holder.data,
      send: (frame) => ws.send(frame, true),
      bufferedBytes: () => ws.getBufferedAmount(),
      subscribe: (topic) => void ws.subscribe(topic),
      unsubscribe: (topic) => void ws.unsubscribe(topic),
      end: (code, reason) => ws.end(code, reason),
      cork: (fn) => void ws.cork(fn),
    })
  }
  app.ws<{ socket?: Socket<U>; data: U }>(handler.path, {
    compression: uWS.DISABLED,
    maxPayloadLength: handler.maxPayloadBytes,
    maxBackpressure: handler.maxBackpressureBytes,
    closeOnBackpressureLimit: 0,
    idleTimeout: handler.idleTimeoutS,
    sendPingsAutomatically: true,
    // Decided and answered inside this callback, never after an await: uWS 20.30's
    // HttpResponse.cork() misreads an upgrade done later (res.cork(() => res.upgrade()))
    // when the socket's memory is reallocated in place, and then closes the new WebSocket
    // right after open (1006 on both ends; uWebSockets PR #1929 fixed it upstream).
    upgrade: (res, req, context) => {
      const { method, url, headers, remoteAddress } = readRequest(res, req, 'localhost')
      let decision: UpgradeDecision<U>
      try {
        decision = handler.upgrade(new Request(url, { method, headers }), { remoteAddress })
      } catch {
        decision = { refuse: { status: 500, body: '{"error":{"code":"INTERNAL","message":"internal error"}}' } }
      }
      if ('refuse' in decision) {
        res.writeStatus(`${decision.refuse.status} Refused`).writeHeader('content-type', 'application/json').end(decision.refuse.body)
        return
      }
      const key = headers.get('sec-websocket-key') ?? ''
      const protocol = chooseSubprotocol(headers.get('sec-websocket-protocol'), handler.subprotocols)
      const extensions = headers.get('sec-websocket-extensions') ?? ''
      res.upgrade({ data: decision.accept }, key, protocol, extensions, context)
    },
    open: (ws) => handler.open(wrap(ws)),
    message: (ws, message, isBinary) => handler.message(wrap(ws), new Uint8Array(message), isBinary),
    drain: (ws) => handler.drain(wrap(ws)),
    close: (ws, code) => handler.close(wrap(ws), code),
  })
}
