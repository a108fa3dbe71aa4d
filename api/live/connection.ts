// Per-connection state of a live WebSocket: who it is, its subscriptions, its inbound frame
// budget (token bucket) and its error strikes. No socket I/O beyond a guarded send.
import type { Principal } from '../../core/roles.ts'
import type { ChannelMeta } from '../protocol/index.ts'
import type { SendResult, Socket } from '../transport/websocket.ts'
import type { PushSource } from './push-channel.ts'
import type { Watched } from './scheduler.ts'

export interface ConnectionLimits {
  /** Inbound frames per second (token bucket, bursts up to this many). */
  maxFramesPerS: number
  /** Client errors tolerated per minute; one more closes the connection. */
  maxStrikesPerMin: number
}

/** One subscription of a connection to a live query: `pending` until its snapshot is sent, `stale` while conflated. */
export interface Subscription {
  kind: 'query'
  sid: number
  w: Watched
  conn: Connection
  state: 'pending' | 'live' | 'stale'
  /** When fan-out next reads this socket's buffered bytes (fanout.ts: not on every delta). */
  checkAtMs?: number
}

/**
 * A subscription to a pushed channel (push-channel.ts): its own `cid` and `seq` (frames go to
 * this socket only), `pending` while a snapshot is read, `stale` while conflated.
 */
export interface PushSubscription {
  kind: 'push'
  sid: number
  conn: Connection
  state: 'pending' | 'live' | 'stale'
  topic: string
  meta: ChannelMeta
  cid: number
  seq: number
  /** Time of the newest row sent: a conflated client's next snapshot starts there. */
  newest: number
  source?: PushSource
}

export type AnySubscription = Subscription | PushSubscription

export const topicOf = (s: AnySubscription) => (s.kind === 'push' ? s.topic : s.w.lq.topic)

export class Connection {
  socket?: Socket<Connection>
  readonly subs = new Map<number, AnySubscription>()
  closed = false
  /** Stops watching the token's expiry and revocation (set once open). */
  unwatch?: () => void
  private tokens: number
  private refilledAt: number
  private strikes = 0
  private strikesSince: number

  constructor(readonly principal: Principal, readonly remoteAddress: string, private readonly limits: ConnectionLimits, now: number) {
    this.tokens = limits.maxFramesPerS
    this.refilledAt = now
    this.strikesSince = now
  }

  /** Takes one inbound frame from the bucket; false when the client is over its rate. */
  allowFrame(now: number): boolean {
    const rate = this.limits.maxFramesPerS
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) * rate) / 1000)
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }

  /** Counts one client error; true once more than maxStrikesPerMin fell within a minute. */
  strike(now: number): boolean {
    if (now - this.strikesSince > 60_000) (this.strikes = 0), (this.strikesSince = now)
    return ++this.strikes > this.limits.maxStrikesPerMin
  }

  /** Sends on the socket; 'dropped' once closed (a late snapshot of a closed connection). */
  send(frame: Uint8Array): SendResult {
    return this.closed || !this.socket ? 'dropped' : this.socket.send(frame)
  }

  /** The subscription of this connection watching `topic`, if any. */
  watching(topic: string): AnySubscription | undefined {
    for (const s of this.subs.values()) if (topicOf(s) === topic) return s
    return undefined
  }
}
