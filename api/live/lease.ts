// A channel's Redis keys for replication: the lease (who runs the live query), the published
// state (what a new follower or the next leader starts from) and the pub/sub channel of its
// frames. Every write is fenced: only the lease holder may change the state or publish.
import type { Redis } from 'ioredis'
import { decode, encode } from '../protocol/index.ts'
import type { LiveState } from './live-query.ts'

const scripts = {
  livePublish: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
    if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
    return 1`,
  liveRenew: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    return 1`,
  // An empty message on the channel tells the followers to take the lease now.
  liveRelease: `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    redis.call('DEL', KEYS[1])
    redis.call('PUBLISH', ARGV[2], '')
    return 1`,
}
type Script = (...args: (string | number | Uint8Array)[]) => Promise<number>

const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))

export interface LeaseStore {
  /** The pub/sub channel carrying `topic`'s frames (an empty message: the lease was released). */
  channelOf(topic: string): string
  /** Takes the lease if nobody holds it. */
  tryLease(topic: string): Promise<boolean>
  /** Holder only: stores `state` and publishes `frame` ('' = store only); false when the lease is gone. */
  publish(topic: string, state: LiveState, frame?: Uint8Array | ''): Promise<boolean>
  /** Holder only: extends the lease and the state's life; false when the lease is gone. */
  renew(topic: string): Promise<boolean>
  /** Holder only: gives the lease up and tells the followers. */
  release(topic: string): Promise<void>
  readState(topic: string): Promise<LiveState | null>
}

export function createLeaseStore(redis: Redis, o: { prefix: string; me: string; leaseMs: number; stateTtlMs: number }): LeaseStore {
  for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(name, { numberOfKeys: 2, lua })
  const script = (name: keyof typeof scripts) => (redis as unknown as Record<string, Script>)[name].bind(redis)
  const [livePublish, liveRenew, liveRelease] = [script('livePublish'), script('liveRenew'), script('liveRelease')]
  const lease = (topic: string) => `${o.prefix}{${topic}}:lease`
  const state = (topic: string) => `${o.prefix}{${topic}}:state`
  const channelOf = (topic: string) => `${o.prefix}frames:${topic}`
  return {
    channelOf,
    tryLease: async (topic) => (await redis.set(lease(topic), o.me, 'PX', o.leaseMs, 'NX')) === 'OK',
    // ioredis sends a plain Uint8Array as its toString() ("1,2,3"): hand it a Buffer view.
    publish: async (topic, s, frame = '') =>
      (await livePublish(lease(topic), state(topic), o.me, asBuffer(encode(s)), o.stateTtlMs, channelOf(topic), frame && asBuffer(frame))) === 1,
    renew: async (topic) => (await liveRenew(lease(topic), state(topic), o.me, o.leaseMs, o.stateTtlMs)) === 1,
    release: async (topic) => void (await liveRelease(lease(topic), state(topic), o.me, channelOf(topic))),
    async readState(topic) {
      const bytes = await redis.getBuffer(state(topic))
      return bytes ? (decode(bytes) as LiveState) : null
    },
  }
}
