// Fan-out of a live query's frames to the sockets that watch it, with conflation: a client
// too far behind misses deltas and gets one fresh snapshot once it drains; one further
// behind is disconnected. One DELTA is published once to the channel's uWS topic. Pushed
// channels' rows (push-channel.ts) go to one subscription at a time, under the same rules.
import { baseOf, CloseCodes, deltaFrame, snapshotFrame, toBlock, type Block, type Cell } from '../protocol/index.ts'
import type { AnySubscription, Connection, PushSubscription, Subscription } from './connection.ts'
import type { LiveQuery } from './live-query.ts'

export interface FanoutOptions {
  /** Above this many buffered bytes a client gets no deltas, then one fresh snapshot once drained. */
  slowClientBytes: number
  /** Above this many buffered bytes a client is disconnected. */
  maxClientBufferBytes: number
  /** Sends one frame to every socket subscribed to `topic` (uWS pub/sub). */
  publish(topic: string, frame: Uint8Array): void
  /** How often a live subscription's buffered bytes are read (default 1 s). */
  bufferCheckMs?: number
  /** Monotonic clock in ms (tests). */
  clock?: () => number
}

export function createFanout(o: FanoutOptions) {
  const counts = { conflated: 0, disconnectedSlow: 0 }
  const clock = o.clock ?? (() => performance.now())
  const bufferCheckMs = o.bufferCheckMs ?? 1000

  /** Sends a snapshot (fresh, or the resumption `block` from `since`) and joins the channel's topic. */
  function goLive(sub: Subscription, block: Block = sub.w.lq.snapshot(), since: number | null = null) {
    const { lq } = sub.w
    if (sub.conn.send(snapshotFrame(sub.sid, lq.cid, lq.seq, lq.spec.meta, block, since)) === 'dropped') return void (sub.state = 'stale')
    sub.conn.socket!.subscribe(lq.topic)
    sub.state = 'live'
  }

  /** A stale subscription whose client drained: a fresh snapshot (pushed: the rows since the newest it got). */
  function recover(sub: AnySubscription) {
    if (sub.conn.closed || sub.conn.socket!.bufferedBytes() >= o.slowClientBytes / 2) return
    if (sub.kind === 'query') return goLive(sub)
    sub.state = 'pending'
    sub.source?.resync(sub.newest === -Infinity ? null : sub.newest)
  }

  /** Whether `conn` may get one more delta now; a slow one is disconnected or, below that, conflated. */
  function keepsUp(conn: Connection, conflate: () => void): boolean {
    const buffered = conn.socket!.bufferedBytes()
    if (buffered > o.maxClientBufferBytes) {
      counts.disconnectedSlow++
      conn.socket!.end(CloseCodes.TOO_SLOW, 'client too slow')
      return false
    }
    if (buffered <= o.slowClientBytes) return true
    counts.conflated++
    conflate()
    return false
  }

  /**
   * Publishes once to the topic. A live subscription's buffer is read at most once per
   * `bufferCheckMs`, not per delta: at 10,000 sockets × 4 channels those native calls cost
   * more of the tick than the publish itself (CPU profile, bench/results/2026-12-05-live-*.md);
   * a client falls at most one second of deltas further behind before it is conflated.
   */
  function deliver(lq: LiveQuery, frame: Uint8Array, subs: Iterable<Subscription> = []) {
    const stale: Subscription[] = []
    const now = clock()
    for (const sub of subs) {
      if (sub.state === 'stale') stale.push(sub)
      if (sub.state !== 'live' || sub.conn.closed || now < (sub.checkAtMs ?? 0)) continue
      sub.checkAtMs = now + bufferCheckMs
      keepsUp(sub.conn, () => ((sub.state = 'stale'), sub.conn.socket!.unsubscribe(lq.topic)))
    }
    o.publish(lq.topic, frame)
    for (const sub of stale) if (sub.state === 'stale') recover(sub)
  }

  const newestOf = (sub: PushSubscription, rows: Cell[][]) => {
    if (sub.meta.time >= 0) for (const r of rows) sub.newest = Math.max(sub.newest, r[sub.meta.time] as number)
  }

  /** A pushed channel's snapshot to its subscription, which goes live (or stale, when the socket refused it). */
  function pushSnapshot(sub: PushSubscription, rows: Cell[][], since: number | null) {
    if (sub.conn.closed) return
    const time = sub.meta.time
    const block = toBlock(rows, time, baseOf([rows], time, Date.now()))
    if (sub.conn.send(snapshotFrame(sub.sid, sub.cid, sub.seq, sub.meta, block, since)) === 'dropped') return void (sub.state = 'stale')
    newestOf(sub, rows)
    sub.state = 'live'
  }

  /** New rows of a pushed channel: one DELTA to its subscription. A slow client misses it and recovers from a snapshot. */
  function pushRows(sub: PushSubscription, rows: Cell[][]) {
    if (sub.state !== 'live' || sub.conn.closed || !rows.length) return
    if (!keepsUp(sub.conn, () => (sub.state = 'stale'))) return
    const frame = deltaFrame(sub.cid, ++sub.seq, { append: rows, replace: [], remove: [] }, sub.meta.time, Date.now())
    if (sub.conn.send(frame) === 'dropped') return void (sub.state = 'stale')
    newestOf(sub, rows)
  }

  return { goLive, recover, deliver, pushSnapshot, pushRows, stats: () => ({ ...counts }) }
}

export type Fanout = ReturnType<typeof createFanout>
