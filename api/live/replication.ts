// Gateway replicas share live queries (docs/operations.md, Gateway replicas): for each channel one
// gateway holds a lease in Redis, runs the live query and publishes every encoded DELTA
// together with the channel's state; every gateway (the leader too) relays the frames to
// its own watchers and mirrors the state, so any of them serves snapshots and, when the
// leader dies, continues the same sequence. This file is the scheduler behind the
// gateway when REDIS_URL is set; docs/operations.md says how to run it.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { redisKeyPrefix } from '../cache/redis.ts'
import type { Logger } from '../log.ts'
import { decode, decodeServerFrame, encode, S, toRows, type Cell, type ChannelMeta } from '../protocol/index.ts'
import type { ChannelSpec } from './channels.ts'
import { encodeDelta, type LiveSchedulerOptions } from './gateway.ts'
import { LiveQuery, type Change, type LiveState } from './live-query.ts'
import { createScheduler, type Scheduler, type Watched } from './scheduler.ts'

export interface ReplicationOptions {
  redisUrl: string
  /** Prefix of every key and pub/sub channel, for environments sharing one Redis. */
  namespace?: string
  log: Logger
  /** A leader renews its lease every third of this; a dead leader's channels move within about this long. */
  leaseMs?: number
  /** How long a new follower waits for the leader's first state before the subscription fails (UNAVAILABLE). */
  followTimeoutMs?: number
  /** This gateway's name in the leases (random by default). */
  nodeId?: string
}

interface Entry {
  topic: string
  spec: ChannelSpec
  params: unknown
  /** What the gateway holds: the mirror (or, while leading, the live query itself). */
  w: Watched
  /** The in-process scheduler's hold while this gateway leads the channel. */
  leading?: Watched
  /** The mirror holds a published state. */
  synced: boolean
  /** Start-up, frames and role changes of one channel run in order. */
  queue: Promise<void>
  closed: boolean
}

// Fenced writes: only the lease holder may change a channel's state or publish its frames.
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

/** The scheduler factory for LiveGatewayOptions.createScheduler: live queries shared by every gateway on one Redis. */
export function createReplication(r: ReplicationOptions): (o: LiveSchedulerOptions) => Scheduler {
  return (o) => createReplicatedScheduler(r, o)
}

function createReplicatedScheduler(r: ReplicationOptions, o: LiveSchedulerOptions): Scheduler {
  const me = r.nodeId ?? randomUUID()
  const leaseMs = r.leaseMs ?? 3000
  // The state outlives a lease so a follower can take over; the leader keeps it alive on renewal.
  const stateTtlMs = Math.max(60_000, 10 * leaseMs)
  const followTimeoutMs = r.followTimeoutMs ?? 10_000
  const prefix = `${redisKeyPrefix(r.namespace)}livehouse:live:`
  const keysOf = (topic: string) => ({ lease: `${prefix}{${topic}}:lease`, state: `${prefix}{${topic}}:state`, channel: `${prefix}frames:${topic}` })
  const connect = () => {
    const c = new Redis(r.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 })
    c.on('error', (error) => r.log.debug('live replication redis error', { error }))
    return c
  }
  const redis = connect()
  const subscriber = connect()
  for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(name, { numberOfKeys: 2, lua })
  const script = (name: keyof typeof scripts) => (redis as unknown as Record<string, Script>)[name].bind(redis)
  const [livePublish, liveRenew, liveRelease] = [script('livePublish'), script('liveRenew'), script('liveRelease')]

  const inner = createScheduler({ ...o, onChange: publish })
  const entries = new Map<string, Entry>()
  const byChannel = new Map<string, Entry>()
  let nextCid = 1
  let timer: NodeJS.Timeout | undefined

  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const e = byChannel.get(channel.toString())
    if (e) enqueue(e, () => onMessage(e, message))
  })

  function enqueue(e: Entry, job: () => unknown) {
    e.queue = e.queue.then(async () => void (await job())).catch((error) => r.log.warn('live replication failed', { topic: e.topic, error }))
  }

  /** Leader: the scheduler's change goes to Redis with the state; it reaches watchers when Redis relays it back. */
  function publish(lq: LiveQuery, change: Change) {
    const e = entries.get(lq.topic)
    if (!e || e.leading?.lq !== lq) return
    writeState(e, encodeDelta(lq, change)).catch((error) => r.log.warn('live publish failed', { topic: e.topic, error }))
  }

  async function writeState(e: Entry, frame: Uint8Array | '' = '') {
    const k = keysOf(e.topic)
    const ok = await livePublish(k.lease, k.state, me, encode(e.w.lq.exportState()), stateTtlMs, k.channel, frame)
    if (!ok) enqueue(e, () => demote(e))
  }

  async function readState(topic: string): Promise<LiveState | null> {
    const bytes = await redis.getBuffer(keysOf(topic).state)
    return bytes ? (decode(bytes) as LiveState) : null
  }

  const tryLease = async (topic: string) => (await redis.set(keysOf(topic).lease, me, 'PX', leaseMs, 'NX')) === 'OK'

  async function onMessage(e: Entry, message: Buffer) {
    if (e.closed) return
    if (message.length === 0) return takeOver(e)
    const lq = e.w.lq
    // The leader's query already holds this change.
    if (e.leading) return o.deliver(lq, withCid(message, lq.cid))
    if (!e.synced) return
    const f = decodeServerFrame(message)
    if (f.type !== S.DELTA || f.seq <= lq.seq) return
    if (f.seq === lq.seq + 1) lq.applyPublished(f.seq, toChange(f, lq.spec.meta))
    else {
      // Frames were missed (Redis reconnect): the stored state is at least this new. Watchers
      // see the gap and resync (docs/protocol.md), getting the restored snapshot.
      const s = await readState(e.topic)
      if (s) lq.restore(s)
    }
    o.deliver(lq, withCid(message, lq.cid))
  }

  /** First watcher here: lead the channel when nobody does, else mirror the leader's state. */
  async function begin(e: Entry) {
    await subscriber.subscribe(keysOf(e.topic).channel)
    const deadline = Date.now() + followTimeoutMs
    while (!e.closed) {
      if (await tryLease(e.topic)) return lead(e)
      const s = await readState(e.topic)
      if (s) return void (e.w.lq.restore(s), (e.synced = true))
      // The leader is still loading its first snapshot.
      if (Date.now() > deadline) throw new Error(`no state published for live channel ${e.topic}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Holds the lease: continue the published sequence (or load a fresh query) and run it here. */
  async function lead(e: Entry) {
    const lq = e.w.lq
    const s = await readState(e.topic)
    if (s) lq.restore(s)
    const ready = lq.loaded ? Promise.resolve() : lq.load()
    lq.closed = false
    e.leading = inner.acquire(e.spec, e.params, e.topic, { lq, ready })
    try {
      await ready
    } catch (error) {
      inner.release(e.leading)
      e.leading = undefined
      const k = keysOf(e.topic)
      await liveRelease(k.lease, k.channel, me).catch(() => {})
      throw error
    }
    e.synced = true
    await writeState(e)
    r.log.info('live channel led', { topic: e.topic, seq: lq.seq, node: me })
  }

  async function takeOver(e: Entry) {
    if (e.closed || e.leading || !e.synced) return
    if (await tryLease(e.topic)) await lead(e)
  }

  /** Lost the lease (paused past it): stop querying, mirror the new leader's state. */
  async function demote(e: Entry) {
    if (!e.leading) return
    inner.release(e.leading)
    e.leading = undefined
    r.log.warn('live channel lease lost', { topic: e.topic, node: me })
    const s = await readState(e.topic)
    if (s) e.w.lq.restore(s)
  }

  async function renewAll() {
    for (const e of entries.values()) {
      if (e.leading) {
        const k = keysOf(e.topic)
        liveRenew(k.lease, k.state, me, leaseMs, stateTtlMs)
          .then((ok) => ok || enqueue(e, () => demote(e)))
          .catch((error) => r.log.warn('live lease renewal failed', { topic: e.topic, error }))
      } else if (e.synced) enqueue(e, () => takeOver(e))
    }
  }

  async function end(e: Entry) {
    if (e.leading) {
      inner.release(e.leading)
      e.leading = undefined
      const k = keysOf(e.topic)
      await liveRelease(k.lease, k.channel, me)
    }
    // A new watcher may have reopened the channel meanwhile; it keeps the subscription.
    if (!entries.has(e.topic)) await subscriber.unsubscribe(keysOf(e.topic).channel)
  }

  return {
    acquire(spec, params, topic) {
      let e = entries.get(topic)
      if (!e) {
        const lq = new LiveQuery(nextCid++, topic, spec, params, o.ch, o)
        const entry: Entry = { topic, spec, params, w: { lq, ready: Promise.resolve(), watchers: 0 }, synced: false, queue: Promise.resolve(), closed: false }
        const ready = begin(entry)
        entry.w.ready = ready
        // A failed start forgets the channel; the next watcher starts it again.
        entry.queue = ready.catch(() => {
          if (entries.get(topic) === entry) entries.delete(topic)
          if (byChannel.get(keysOf(topic).channel) === entry) byChannel.delete(keysOf(topic).channel)
          return end(entry).catch(() => {})
        })
        e = entry
        entries.set(topic, e)
        byChannel.set(keysOf(topic).channel, e)
      }
      e.w.watchers++
      return e.w
    },
    release(w) {
      if (--w.watchers > 0) return
      const e = entries.get(w.lq.topic)
      if (!e || e.w !== w) return
      e.closed = true
      entries.delete(e.topic)
      if (byChannel.get(keysOf(e.topic).channel) === e) byChannel.delete(keysOf(e.topic).channel)
      enqueue(e, () => end(e))
    },
    start() {
      inner.start()
      timer ??= setInterval(renewAll, Math.max(50, Math.floor(leaseMs / 3)))
    },
    async stop() {
      clearInterval(timer)
      timer = undefined
      await inner.stop()
      const open = [...entries.values()]
      for (const e of open) (e.closed = true), entries.delete(e.topic)
      await Promise.all(open.map((e) => e.queue.then(() => end(e)).catch(() => {})))
      subscriber.disconnect()
      await redis.quit().catch(() => redis.disconnect())
    },
    stats: () => inner.stats(),
  }
}

/** A published DELTA as the change a mirror applies: rows with absolute times, removal keys. */
export function toChange(f: { base: number; append: Cell[][] | null; replace: Cell[][] | null; remove: Cell[][] | null }, meta: ChannelMeta): Change {
  return {
    append: f.append ? toRows(f.append, f.base, meta.time) : [],
    replace: f.replace ? toRows(f.replace, f.base, meta.time) : [],
    remove: f.remove ?? [],
  }
}

/**
 * The leader's DELTA frame with this gateway's `cid` for the channel (cids are per gateway:
 * each hands them out as watchers arrive). Only the cid's bytes change; the frame is not
 * re-encoded, and a frame that already carries `cid` is returned as is.
 */
export function withCid(frame: Uint8Array, cid: number): Uint8Array {
  // [17, cid, …]: fixarray header (8 items), positive fixint 17, then cid as a MessagePack integer.
  if (frame[0] !== 0x98 || frame[1] !== S.DELTA) throw new Error('not a DELTA frame')
  const width = intWidth(frame[2])
  const mine = encode(cid)
  if (width === mine.length && mine.every((b, i) => frame[2 + i] === b)) return frame
  const out = new Uint8Array(frame.length - width + mine.length)
  out.set(frame.subarray(0, 2))
  out.set(mine, 2)
  out.set(frame.subarray(2 + width), 2 + mine.length)
  return out
}

function intWidth(first: number): number {
  if (first <= 0x7f) return 1
  const widths: Record<number, number> = { 0xcc: 2, 0xd0: 2, 0xcd: 3, 0xd1: 3, 0xce: 5, 0xd2: 5, 0xcf: 9, 0xd3: 9 }
  const w = widths[first]
  if (!w) throw new Error('cid is not a MessagePack integer')
  return w
}
