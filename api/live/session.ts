// The live protocol session: WebSocket events in (upgrade, frames, close), protocol frames
// out. Connections are admitted against the registry's limits here; subscriptions (to live
// queries and to pushed channels alike) in subscriptions.ts.
import { AppError, isAppError } from '../../core/errors.ts'
import * as access from '../access.ts'
import type { Auth } from '../auth.ts'
import type { TokenWatch } from '../auth/token-watch.ts'
import type { Logger } from '../log.ts'
import {
  C, CloseCodes, decodeClientFrame, errorFrame, helloFrame, pongFrame, ProtocolError, SUBPROTOCOL, unsubscribedFrame,
  type ClientFrame, type ErrorReason, type Limits,
} from '../protocol/index.ts'
import type { WebSocketHandler } from '../transport/websocket.ts'
import type { LiveBroker } from './broker.ts'
import { Connection, type ConnectionLimits } from './connection.ts'
import type { EntityIndex } from './entities.ts'
import type { Fanout } from './fanout.ts'
import { hardFrameBytes, transportFrameCapBytes } from './frame-limits.ts'
import type { PushChannel } from './push-channel.ts'
import type { Registry } from './registry.ts'
import { createSubscriptions } from './subscriptions.ts'
import { authenticateUpgrade } from './upgrade.ts'

export interface SessionOptions extends ConnectionLimits {
  auth: Auth
  /** Ends a connection when its token expires or is revoked (api/auth/token-watch.ts). */
  tokenWatch: TokenWatch
  log: Logger
  limits: Limits
  maxSubscriptions: number
  maxFrameBytes: number
  maxClientBufferBytes: number
  registry: Registry
  fanout: Fanout
  entities: EntityIndex
  broker: () => LiveBroker
  pushChannels?: ReadonlyMap<string, PushChannel>
  now?: () => number
}

export function createSession(o: SessionOptions): WebSocketHandler<Connection> {
  const now = o.now ?? Date.now

  function sendError(conn: Connection, reason: ErrorReason, message: string, sid: number | null = null) {
    conn.send(errorFrame(reason, message, sid))
  }

  /** A client-caused error: answered with a frame; too many per minute close the connection. */
  function strike(conn: Connection, reason: ErrorReason, message: string, sid: number | null = null) {
    sendError(conn, reason, message, sid)
    if (conn.strike(now()) && !conn.closed) conn.socket?.end(CloseCodes.ABUSE, 'too many protocol errors')
  }

  const { subscribe, drop, resync } = createSubscriptions({ ...o, strike, sendError })

  function handle(conn: Connection, f: ClientFrame) {
    if (f.op === C.PING) return void conn.send(pongFrame(f.id, now()))
    if (f.op === C.SUBSCRIBE) return subscribe(conn, f)
    const sub = conn.subs.get(f.sid)
    if (!sub) return strike(conn, 'NOT_SUBSCRIBED', 'no such subscription', f.sid)
    if (f.op === C.UNSUBSCRIBE) {
      drop(sub)
      return void conn.send(unsubscribedFrame(f.sid))
    }
    resync(sub)
  }

  return {
    path: '/ws',
    subprotocols: [SUBPROTOCOL],
    // Frames up to 16× the protocol limit get an error frame, larger ones a 1009 close (message
    // below). uWS itself drops frames above maxPayloadBytes without a close frame (1006).
    maxPayloadBytes: transportFrameCapBytes(o.maxFrameBytes),
    maxBackpressureBytes: o.maxClientBufferBytes * 2,
    idleTimeoutS: 120,
    upgrade(request, env) {
      const principal = authenticateUpgrade(o.auth, request)
      if (isAppError(principal)) return { refuse: { status: principal.status, body: JSON.stringify(principal.toBody()) } }
      const refused = o.registry.refuseConnection(principal.sub, env.remoteAddress)
      if (refused) return { refuse: { status: 429, body: JSON.stringify(new AppError(429, 'TOO_MANY_CONNECTIONS', refused).toBody()) } }
      return { accept: new Connection(principal, env.remoteAddress, o, now()) }
    },
    open(socket) {
      const conn = socket.data
      conn.socket = socket
      o.registry.openConnection(conn.principal.sub, conn.remoteAddress)
      conn.send(helloFrame(o.limits, conn.principal.sub))
      // Revoked: closed inside the revocation itself; expired: at exp (docs/auth.md, "Revocation").
      conn.unwatch = o.tokenWatch.watch(conn.principal, (why) => {
        if (!conn.closed) socket.end(access.tokenCloseCodes[why], why)
      })
    },
    message(socket, bytes, isBinary) {
      const conn = socket.data
      try {
        if (bytes.byteLength > hardFrameBytes(o.maxFrameBytes)) return socket.end(CloseCodes.TOO_BIG, 'frame far too large')
        if (!conn.allowFrame(now())) return strike(conn, 'RATE_LIMITED', `at most ${o.maxFramesPerS} frames per second`)
        if (!isBinary) return strike(conn, 'BAD_FRAME', 'frames are binary MessagePack')
        if (bytes.byteLength > o.maxFrameBytes) return strike(conn, 'FRAME_TOO_LARGE', `frames are at most ${o.maxFrameBytes} bytes`)
        handle(conn, decodeClientFrame(bytes))
      } catch (e) {
        if (e instanceof ProtocolError) return strike(conn, e.reason, e.message, e.sid)
        o.log.error('live message failed', { error: e })
        sendError(conn, 'INTERNAL', 'internal error')
      }
    },
    drain(socket) {
      for (const sub of socket.data.subs.values()) if (sub.state === 'stale') o.fanout.recover(sub)
    },
    close(socket) {
      const conn = socket.data
      conn.closed = true
      conn.unwatch?.()
      o.registry.closeConnection(conn.principal.sub, conn.remoteAddress)
      for (const sub of [...conn.subs.values()]) drop(sub)
    },
  }
}
