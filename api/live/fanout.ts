// Fan-out of a live query's frames to the sockets that watch it, with conflation: a client
// too far behind misses deltas and gets one fresh snapshot once it drains; one further
// behind is disconnected. One DELTA is published once to the channel's uWS topic.
import { CloseCodes, snapshotFrame, type Block } from '../protocol/index.ts'
import type { Subscription } from './connection.ts'
import type { LiveQuery } from './live-query.ts'

export interface FanoutOptions {
  /** Above this many buffered bytes a client gets no deltas, then one fresh snapshot once drained. */
  slowClientBytes: number
  /** Above this many buffered bytes a client is disconnected. */
  maxClientBufferBytes: number
  /** Sends one frame to every socket subscribed to `topic` (uWS pub/sub). */
  publish(topic: string, frame: Uint8Array): void
}

export function createFanout(o: FanoutOptions) {
  const counts = { conflated: 0, disconnectedSlow: 0 }

  /** Sends a snapshot (fresh, or the resumption `block` from `since`) and joins the channel's topic. */
  function goLive(sub: Subscription, block: Block = sub.w.lq.snapshot(), since: number | null = null) {
    const { lq } = sub.w
    if (sub.conn.send(snapshotFrame(sub.sid, lq.cid, lq.seq, lq.spec.meta, block, since)) === 'dropped') return void (sub.state = 'stale')
    sub.conn.socket!.subscribe(lq.topic)
    sub.state = 'live'
  }

  function recover(sub: Subscription) {
    if (!sub.conn.closed && sub.conn.socket!.bufferedBytes() < o.slowClientBytes / 2) goLive(sub)
  }

  function deliver(lq: LiveQuery, frame: Uint8Array, subs: Iterable<Subscription> = []) {
    const stale: Subscription[] = []
    for (const sub of subs) {
      if (sub.state === 'stale') stale.push(sub)
      if (sub.state !== 'live' || sub.conn.closed) continue
      const buffered = sub.conn.socket!.bufferedBytes()
      if (buffered > o.maxClientBufferBytes) {
        counts.disconnectedSlow++
        sub.conn.socket!.end(CloseCodes.TOO_SLOW, 'client too slow')
      } else if (buffered > o.slowClientBytes) {
        sub.state = 'stale'
        counts.conflated++
        sub.conn.socket!.unsubscribe(lq.topic)
      }
    }
    o.publish(lq.topic, frame)
    for (const sub of stale) if (sub.state === 'stale') recover(sub)
  }

  return { goLive, recover, deliver, stats: () => ({ ...counts }) }
}

export type Fanout = ReturnType<typeof createFanout>
