// The live gateway: WebSocket connections, subscriptions, limits and slow-client
// conflation. Frames come from the protocol codec, rows from the scheduler's live
// queries; this file knows sockets only through transport's Socket interface.
import type { ClickHouseClient } from '@clickhouse/client'
import { ZodError } from 'zod'
import type { Auth } from '../auth.ts'
import type { Principal } from '../../core/roles.ts'
import type { Logger } from '../log.ts'
import {
  C, CloseCodes, decodeClientFrame, encodeServerFrame, ErrorCodes, PROTOCOL_VERSION, ProtocolError, S,
  type ClientFrame, type ErrorReason, type Limits,
} from '../protocol/index.ts'
import type { Server, Socket, WebSocketHandler } from '../transport/uws.ts'
import type { PushChannel, PushSubscription } from './alerts-channel.ts'
import { channels } from './channels.ts'
import { baseOf, toBlock, type Block, type Change, type LiveQuery } from './live-query.ts'
import { createScheduler, type Scheduler, type SchedulerOptions, type Watched } from './scheduler.ts'
import { authenticateUpgrade } from './upgrade.ts'

export interface LiveGatewayOptions {
  tickMs: number
  maxSubscriptions: number
  maxFrameBytes: number
  maxFramesPerS: number
  snapshotBuckets: number
  latenessMs: number
  tapeMaxPerS: number
  /** Above this many buffered bytes a client gets no deltas, then one fresh snapshot once drained. */
  slowClientBytes: number
  /** Above this many buffered bytes a client is disconnected. */
  maxClientBufferBytes: number
  /** Client errors tolerated per minute before the connection is closed. */
  maxStrikesPerMin: number
  /** Replaces the in-process scheduler: api/live/replication.ts shares live queries between gateways. */
  createScheduler?: (o: LiveSchedulerOptions) => Scheduler
  /** Every tick's duration in ms (livehouse_live_tick_duration_seconds). */
  onTick?(ms: number): void
  /** Every read of a live query this gateway leads, with its change or null (alert rules: api/live/alerts-feed.ts). */
  onTicked?: SchedulerOptions['onTicked']
  /** Channels pushed per subscription instead of read by a live query (`alerts`: api/live/alerts-channel.ts). */
  pushChannels?: ReadonlyMap<string, PushChannel>
}

/** What a scheduler gets from the gateway; `deliver` fans an encoded DELTA of `lq` out to this gateway's watchers. */
export type LiveSchedulerOptions = SchedulerOptions & { deliver(lq: LiveQuery, frame: Uint8Array): void }

interface Sub {
  sid: number
  w: Watched
  conn: Conn
  state: 'pending' | 'live' | 'stale'
}

interface Conn {
  principal: Principal
  socket?: Socket<Conn>
  subs: Map<number, Sub>
  push: Map<number, PushSubscription>
  tokens: number
  refilledAt: number
  strikes: number
  strikesSince: number
  closed: boolean
}

export interface LiveGateway {
  websocket: WebSocketHandler<Conn>
  attach(server: Server): void
  start(): void
  stop(): Promise<void>
  stats(): { connections: number; liveQueries: number; effectiveTickMs: number; lastTickMs: number; conflated: number; disconnectedSlow: number }
  /** Called after every published delta (metrics, the benchmark's JSON baseline). */
  onPublish?: (lq: LiveQuery, frame: Uint8Array) => void
}

export function createLiveGateway(o: LiveGatewayOptions & { ch: ClickHouseClient; tickClients?: ClickHouseClient[]; auth: Auth; log: Logger }): LiveGateway {
  let server: Server | undefined
  const watchers = new Map<number, Set<Sub>>()
  let connections = 0
  let conflated = 0
  let disconnectedSlow = 0
  const limits: Limits = {
    maxSubscriptions: o.maxSubscriptions, maxFrameBytes: o.maxFrameBytes, maxFramesPerSecond: o.maxFramesPerS,
    tickMs: o.tickMs, snapshotBuckets: o.snapshotBuckets,
  }
  const schedulerOptions: LiveSchedulerOptions = {
    ...o,
    onChange: (lq, change) => deliver(lq, encodeDelta(lq, change)),
    onError: (lq, error) => o.log.warn('live query failed', { topic: lq.topic, error }),
    deliver,
  }
  const scheduler = (o.createScheduler ?? createScheduler)(schedulerOptions)

  function send(conn: Conn, frame: Uint8Array): number {
    return conn.closed || !conn.socket ? 2 : conn.socket.send(frame)
  }

  function sendError(conn: Conn, reason: ErrorReason, message: string, sid: number | null = null, temporary = false) {
    send(conn, encodeServerFrame({ type: S.ERROR, sid, code: ErrorCodes[reason], reason, message, temporary }))
  }

  /** A client-caused error: answered with a frame; too many per minute close the connection. */
  function strike(conn: Conn, reason: ErrorReason, message: string, sid: number | null = null) {
    const now = Date.now()
    if (now - conn.strikesSince > 60_000) (conn.strikes = 0), (conn.strikesSince = now)
    sendError(conn, reason, message, sid)
    if (++conn.strikes > o.maxStrikesPerMin && !conn.closed) conn.socket?.end(CloseCodes.ABUSE, 'too many protocol errors')
  }

  function sendSnapshot(sub: Sub, block: Block, since: number | null = null) {
    const { lq } = sub.w
    const frame = encodeServerFrame({ type: S.SNAPSHOT, sid: sub.sid, cid: lq.cid, seq: lq.seq, meta: lq.spec.meta, base: block.base, cols: block.cols, since })
    return send(sub.conn, frame)
  }

  /** Sends a fresh snapshot and (re)joins the channel's pub/sub topic. */
  function goLive(sub: Sub, block: Block = sub.w.lq.snapshot(), since: number | null = null) {
    if (sendSnapshot(sub, block, since) === 2) return void (sub.state = 'stale')
    sub.conn.socket!.subscribe(sub.w.lq.topic)
    sub.state = 'live'
  }

  function deliver(lq: LiveQuery, frame: Uint8Array) {
    const subs = watchers.get(lq.cid)
    const stale: Sub[] = []
    // Conflation: a client this far behind misses deltas and gets a snapshot once it drains.
    if (subs) for (const sub of subs) {
      if (sub.state === 'stale') stale.push(sub)
      if (sub.state !== 'live' || sub.conn.closed) continue
      const buffered = sub.conn.socket!.bufferedBytes()
      if (buffered > o.maxClientBufferBytes) {
        disconnectedSlow++
        sub.conn.socket!.end(CloseCodes.TOO_SLOW, 'client too slow')
      } else if (buffered > o.slowClientBytes) {
        sub.state = 'stale'
        conflated++
        sub.conn.socket!.unsubscribe(lq.topic)
      }
    }
    server?.publish(lq.topic, frame)
    for (const sub of stale) if (sub.state === 'stale' && !sub.conn.closed) recover(sub)
    gateway.onPublish?.(lq, frame)
  }

  function recover(sub: Sub) {
    if (sub.conn.socket!.bufferedBytes() < o.slowClientBytes / 2) goLive(sub)
  }

  function subscribe(conn: Conn, f: Extract<ClientFrame, { op: typeof C.SUBSCRIBE }>) {
    if (conn.subs.has(f.sid) || conn.push.has(f.sid)) return strike(conn, 'ALREADY_SUBSCRIBED', 'sid already in use', f.sid)
    if (conn.subs.size + conn.push.size >= o.maxSubscriptions) return strike(conn, 'TOO_MANY_SUBSCRIPTIONS', `at most ${o.maxSubscriptions} subscriptions`, f.sid)
    const push = o.pushChannels?.get(f.channel)
    if (push) return void conn.push.set(f.sid, push.open({ principal: conn.principal, sid: f.sid, params: f.params, resume: f.resume, send: (frame) => send(conn, frame) }))
    const spec = channels.get(f.channel)
    if (!spec) return strike(conn, 'UNKNOWN_CHANNEL', 'unknown channel', f.sid)
    let params: unknown
    try {
      params = spec.parse(f.params, conn.principal)
    } catch (e) {
      const detail = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ') : 'invalid'
      return strike(conn, 'BAD_ARGUMENT', detail.slice(0, 200), f.sid)
    }
    if (!spec.authorize(conn.principal, params)) return strike(conn, 'FORBIDDEN', 'not entitled to this channel', f.sid)
    const topic = spec.topic(params)
    for (const s of conn.subs.values()) if (s.w.lq.topic === topic) return strike(conn, 'ALREADY_SUBSCRIBED', 'already subscribed to this channel', f.sid)
    const w = scheduler.acquire(spec, params, topic)
    const sub: Sub = { sid: f.sid, w, conn, state: 'pending' }
    conn.subs.set(f.sid, sub)
    if (!watchers.has(w.lq.cid)) watchers.set(w.lq.cid, new Set())
    watchers.get(w.lq.cid)!.add(sub)
    const current = () => !conn.closed && conn.subs.get(f.sid) === sub
    w.ready
      .then(async () => {
        const missed = f.resume ? await w.lq.readSince(f.resume.t) : null
        if (current()) goLive(sub, missed?.block, missed?.since ?? null)
      })
      .catch((error) => {
        o.log.warn('live subscribe failed', { topic, error })
        if (!current()) return
        drop(sub)
        sendError(conn, 'UNAVAILABLE', 'the channel cannot be read right now; retry later', f.sid, true)
      })
  }

  function drop(sub: Sub) {
    sub.conn.subs.delete(sub.sid)
    const set = watchers.get(sub.w.lq.cid)
    set?.delete(sub)
    if (set?.size === 0) watchers.delete(sub.w.lq.cid)
    if (!sub.conn.closed && sub.state !== 'pending') sub.conn.socket!.unsubscribe(sub.w.lq.topic)
    scheduler.release(sub.w)
  }

  function handle(conn: Conn, f: ClientFrame) {
    if (f.op === C.PING) return void send(conn, encodeServerFrame({ type: S.PONG, id: f.id, serverMs: Date.now() }))
    if (f.op === C.SUBSCRIBE) return subscribe(conn, f)
    const pushed = conn.push.get(f.sid)
    if (pushed && f.op === C.UNSUBSCRIBE) return void (pushed.close(), conn.push.delete(f.sid), send(conn, encodeServerFrame({ type: S.UNSUBSCRIBED, sid: f.sid })))
    if (pushed) return pushed.resync()
    const sub = conn.subs.get(f.sid)
    if (!sub) return strike(conn, 'NOT_SUBSCRIBED', 'no such subscription', f.sid)
    if (f.op === C.UNSUBSCRIBE) {
      drop(sub)
      return void send(conn, encodeServerFrame({ type: S.UNSUBSCRIBED, sid: f.sid }))
    }
    if (sub.state === 'live') sendSnapshot(sub, sub.w.lq.snapshot())
  }

  /** Token bucket over inbound frames. */
  function allow(conn: Conn): boolean {
    const now = Date.now()
    conn.tokens = Math.min(o.maxFramesPerS, conn.tokens + ((now - conn.refilledAt) * o.maxFramesPerS) / 1000)
    conn.refilledAt = now
    if (conn.tokens < 1) return false
    conn.tokens--
    return true
  }

  const websocket: WebSocketHandler<Conn> = {
    path: '/ws',
    // Frames up to 16× the protocol limit get an error frame; larger ones uWS closes with 1009.
    maxPayloadBytes: o.maxFrameBytes * 16,
    maxBackpressureBytes: o.maxClientBufferBytes * 2,
    idleTimeoutS: 120,
    async upgrade(request) {
      const principal = await authenticateUpgrade(o.auth, request)
      if (principal instanceof Response) return principal
      return { principal, subs: new Map(), push: new Map(), tokens: o.maxFramesPerS, refilledAt: Date.now(), strikes: 0, strikesSince: Date.now(), closed: false }
    },
    open(socket) {
      connections++
      socket.data.socket = socket
      send(socket.data, encodeServerFrame({ type: S.HELLO, version: PROTOCOL_VERSION, limits, sub: socket.data.principal.sub }))
    },
    message(socket, bytes, isBinary) {
      const conn = socket.data
      try {
        if (!allow(conn)) return strike(conn, 'RATE_LIMITED', `at most ${o.maxFramesPerS} frames per second`)
        if (!isBinary) return strike(conn, 'BAD_FRAME', 'frames are binary MessagePack')
        if (bytes.byteLength > o.maxFrameBytes) return strike(conn, 'FRAME_TOO_LARGE', `frames are at most ${o.maxFrameBytes} bytes`)
        handle(conn, decodeClientFrame(bytes))
      } catch (e) {
        if (e instanceof ProtocolError) return strike(conn, e.reason, e.message, e.sid)
        o.log.error('live message failed', { error: e })
        sendError(conn, 'INTERNAL', 'internal error', null, true)
      }
    },
    drain(socket) {
      for (const sub of socket.data.subs.values()) if (sub.state === 'stale') recover(sub)
    },
    close(socket) {
      const conn = socket.data
      connections--
      conn.closed = true
      for (const sub of [...conn.subs.values()]) drop(sub)
      for (const p of conn.push.values()) p.close()
    },
  }

  const gateway: LiveGateway = {
    websocket,
    attach: (s) => void (server = s),
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
    stats: () => ({ connections, conflated, disconnectedSlow, ...scheduler.stats() }),
  }
  return gateway
}

/** The DELTA frame of `lq`'s latest change (its current `seq`), encoded once for every watcher. */
export function encodeDelta(lq: LiveQuery, change: Change): Uint8Array {
  const time = lq.spec.meta.time
  const now = Date.now()
  const base = baseOf([change.append, change.replace], time, now)
  const block = (rows: typeof change.append) => (rows.length ? toBlock(rows, time, base).cols : null)
  return encodeServerFrame({
    type: S.DELTA, cid: lq.cid, seq: lq.seq, base, sentOffset: now - base,
    append: block(change.append), replace: block(change.replace), remove: change.remove.length ? change.remove : null,
  })
}
