// WebSockets over uWebSockets.js, as the rest of the gateway sees them: a Socket with a
// typed send result and a handler of socket events. See mountWebSocket for why upgrades are
// decided synchronously.
import uWS from 'uWebSockets.js'
import { readRequest } from './request.ts'

/** What became of one frame: written, queued behind backpressure, or dropped (closed, or over maxBackpressureBytes). */
export type SendResult = 'sent' | 'buffered' | 'dropped'

/** uWS's send status: 1 sent, 0 buffered (backpressure), 2 dropped. */
export function sendResult(status: number): SendResult {
  return status === 1 ? 'sent' : status === 0 ? 'buffered' : 'dropped'
}

/** A WebSocket as the rest of the gateway sees it. */
export interface Socket<U> {
  readonly data: U
  send(frame: Uint8Array): SendResult
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

export function mountWebSocket<U>(app: uWS.TemplatedApp, handler: WebSocketHandler<U>) {
  const wrap = (ws: uWS.WebSocket<{ socket?: Socket<U>; data: U }>): Socket<U> => {
    const holder = ws.getUserData()
    return (holder.socket ??= {
      data: holder.data,
      send: (frame) => sendResult(ws.send(frame, true)),
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
