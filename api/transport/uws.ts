// HTTP over uWebSockets.js: requests are handed to a fetch handler (Hono), WebSockets to a
// socket-agnostic handler (websocket.ts). api/transport/ is the only importer of uWS, so
// nothing else knows it exists.
import uWS from 'uWebSockets.js'
import { AppError } from '../../core/errors.ts'
import { BodyTooLargeError } from '../http/body.ts'
import { knownBody } from '../http/raw-body.ts'
import { readRequest } from './request.ts'
import { mountWebSocket, type WebSocketHandler } from './websocket.ts'

export type FetchHandler = (request: Request, env: { remoteAddress: string }) => Response | Promise<Response>

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
  let closed = false
  app.any('/*', (res, req) => (closed ? refuseClosed(res) : handleHttp(res, req, options)))
  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket) => {
      if (!listenSocket) return reject(new Error(`cannot listen on ${options.host}:${options.port}`))
      resolve({
        port: uWS.us_socket_local_port(listenSocket),
        publish: (topic, frame) => app.publish(topic, frame, true),
        subscribers: (topic) => app.numSubscribers(topic),
        close: () => {
          closed = true
          uWS.us_listen_socket_close(listenSocket)
        },
      })
    })
  })
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

/**
 * Closing the listen socket leaves kept-alive connections open, and their next requests would
 * reach a gateway that is stopping: they are told to go elsewhere, and their connection closes.
 */
function refuseClosed(res: uWS.HttpResponse) {
  res.cork(() => res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'application/json').writeHeader('retry-after', '1')
    .end(JSON.stringify(new AppError(503, 'SHUTTING_DOWN', 'the server is shutting down: retry on a new connection').toBody()), true))
}

function handleHttp(res: uWS.HttpResponse, req: uWS.HttpRequest, options: ServeOptions) {
  const framing = framingProblem(req)
  if (framing) {
    // Closing: the bytes after this request cannot be trusted to start the next one.
    res.writeStatus('400 Bad Request').writeHeader('content-type', 'application/json')
      .end(JSON.stringify(new AppError(400, 'AMBIGUOUS_FRAMING', framing).toBody()), true)
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
