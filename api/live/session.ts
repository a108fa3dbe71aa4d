// The live protocol session: WebSocket events in (upgrade, frames, close), protocol frames
// out. Admission goes through the registry's limits, live queries through the broker,
// snapshots and deltas through the fan-out; this file owns the order of those steps.
import { ZodError } from 'zod'
import { isAppError } from '../../core/errors.ts'
import type { Auth } from '../auth.ts'
import type { Logger } from '../log.ts'
import {
  C, CloseCodes, decodeClientFrame, errorFrame, helloFrame, pongFrame, ProtocolError, SUBPROTOCOL, unsubscribedFrame,
  type ClientFrame, type ErrorReason, type Limits,
} from '../protocol/index.ts'
import type { WebSocketHandler } from '../transport/websocket.ts'
import type { LiveBroker } from './broker.ts'
import { channels, type ChannelSpec } from './channels.ts'
import { Connection, type ConnectionLimits, type Subscription } from './connection.ts'
import type { EntityIndex } from './entities.ts'
import type { Fanout } from './fanout.ts'
import { hardFrameBytes, transportFrameCapBytes } from './frame-limits.ts'
import type { Registry } from './registry.ts'
import { authenticateUpgrade } from './upgrade.ts'

export interface SessionOptions extends ConnectionLimits {
  auth: Auth
  log: Logger
  limits: Limits
  maxSubscriptions: number
  maxFrameBytes: number
  maxClientBufferBytes: number
  registry: Registry
  fanout: Fanout
  entities: EntityIndex
  broker: () => LiveBroker
  now?: () => number
}

type SubscribeFrame = Extract<ClientFrame, { op: typeof C.SUBSCRIBE }>

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

  /** Whether the channel is about a symbol or shop that has never had an event. */
  function unseen(spec: ChannelSpec, params: unknown): boolean {
    const about = spec.about?.(params)
    return !!about && about.ids.some((id) => !o.entities.seen(about.kind, id))
  }

  /** Parses, authorises and admits a subscription; the error to answer, or what to acquire. */
  function admit(conn: Connection, f: SubscribeFrame): { error: [ErrorReason, string] } | { spec: ChannelSpec; params: unknown; topic: string } {
    if (conn.subs.has(f.sid)) return { error: ['ALREADY_SUBSCRIBED', 'sid already in use'] }
    if (conn.subs.size >= o.maxSubscriptions) return { error: ['TOO_MANY_SUBSCRIPTIONS', `at most ${o.maxSubscriptions} subscriptions`] }
    const spec = channels.get(f.channel)
    if (!spec) return { error: ['UNKNOWN_CHANNEL', 'unknown channel'] }
    let params: unknown
    try {
      params = spec.parse(f.params, conn.principal)
    } catch (e) {
      const detail = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ') : 'invalid'
      return { error: ['BAD_ARGUMENT', detail.slice(0, 200)] }
    }
    if (!spec.authorize(conn.principal, params)) return { error: ['FORBIDDEN', 'not entitled to this channel'] }
    const topic = spec.topic(params)
    if (conn.watching(topic)) return { error: ['ALREADY_SUBSCRIBED', 'already subscribed to this channel'] }
    const refused = o.registry.admitChannel(conn.principal.sub, topic, unseen(spec, params))
    if (refused === 'TOO_MANY_CHANNELS') return { error: [refused, `at most ${o.limits.maxChannelsPerToken} channels per token`] }
    if (refused) return { error: [refused, 'no event yet for this symbol or shop, and the channels allowed for such are taken; retry later'] }
    return { spec, params, topic }
  }

  function subscribe(conn: Connection, f: SubscribeFrame) {
    const a = admit(conn, f)
    if ('error' in a) return strike(conn, a.error[0], a.error[1], f.sid)
    const w = o.broker().acquire(a.spec, a.params, a.topic)
    const sub: Subscription = { sid: f.sid, w, conn, state: 'pending' }
    conn.subs.set(f.sid, sub)
    o.registry.add(sub)
    const current = () => !conn.closed && conn.subs.get(f.sid) === sub
    w.ready
      .then(async () => {
        const missed = f.resume ? await w.lq.readSince(f.resume.t) : null
        if (current()) o.fanout.goLive(sub, missed?.block, missed?.since ?? null)
      })
      .catch((error) => {
        o.log.warn('live subscribe failed', { topic: a.topic, error })
        if (!current()) return
        drop(sub)
        sendError(conn, 'UNAVAILABLE', 'the channel cannot be read right now; retry later', f.sid)
      })
  }

  function drop(sub: Subscription) {
    sub.conn.subs.delete(sub.sid)
    o.registry.remove(sub)
    o.registry.releaseChannel(sub.conn.principal.sub, sub.w.lq.topic)
    if (!sub.conn.closed && sub.state !== 'pending') sub.conn.socket!.unsubscribe(sub.w.lq.topic)
    o.broker().release(sub.w)
  }

  function handle(conn: Connection, f: ClientFrame) {
    if (f.op === C.PING) return void conn.send(pongFrame(f.id, now()))
    if (f.op === C.SUBSCRIBE) return subscribe(conn, f)
    const sub = conn.subs.get(f.sid)
    if (!sub) return strike(conn, 'NOT_SUBSCRIBED', 'no such subscription', f.sid)
    if (f.op === C.UNSUBSCRIBE) {
      drop(sub)
      return void conn.send(unsubscribedFrame(f.sid))
    }
    if (sub.state === 'live') o.fanout.goLive(sub) // RESYNC: a fresh snapshot
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
      if (refused) return { refuse: { status: 429, body: JSON.stringify({ error: { code: 'TOO_MANY_CONNECTIONS', message: refused } }) } }
      return { accept: new Connection(principal, env.remoteAddress, o, now()) }
    },
    open(socket) {
      const conn = socket.data
      conn.socket = socket
      o.registry.openConnection(conn.principal.sub, conn.remoteAddress)
      conn.send(helloFrame(o.limits, conn.principal.sub))
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
      o.registry.closeConnection(conn.principal.sub, conn.remoteAddress)
      for (const sub of [...conn.subs.values()]) drop(sub)
    },
  }
}
