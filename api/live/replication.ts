// The Redis broker: gateway replicas share live queries. For each channel one gateway holds a
// lease (lease.ts), runs the live query and publishes every encoded DELTA together with the
// channel's state; every gateway (the leader too) relays the frames to its own watchers and
// mirrors the state, so any of them serves snapshots and, when the leader dies, continues the
// same sequence. Used when REDIS_URL is set; docs/operations.md says how to run it.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { redisKeyPrefix } from '../cache/redis.ts'
import type { Logger } from '../log.ts'
import { changeOf, decodeServerFrame, deltaFrame, S, withCid } from '../protocol/index.ts'
import type { BrokerFactory, BrokerOptions, LiveBroker } from './broker.ts'
import type { ChannelSpec } from './channels.ts'
import { createLeaseStore, type LeaseStore } from './lease.ts'
import { LiveQuery, type Change } from './live-query.ts'
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

/** The broker factory for LiveGatewayOptions.createScheduler: live queries shared by every gateway on one Redis. */
export function createReplication(r: ReplicationOptions): BrokerFactory {
  return (o) => createReplicatedBroker(r, o)
}

function connect(r: ReplicationOptions) {
  const c = new Redis(r.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 })
  c.on('error', (error) => r.log.debug('live replication redis error', { error }))
  return c
}

function createReplicatedBroker(r: ReplicationOptions, o: BrokerOptions): LiveBroker {
  const me = r.nodeId ?? randomUUID()
  const leaseMs = r.leaseMs ?? 3000
  const followTimeoutMs = r.followTimeoutMs ?? 10_000
  const redis = connect(r)
  const subscriber = connect(r)
  // The state outlives a lease so a follower can take over; the leader keeps it alive on renewal.
  const store = createLeaseStore(redis, { prefix: `${redisKeyPrefix(r.namespace)}livehouse:live:`, me, leaseMs, stateTtlMs: Math.max(60_000, 10 * leaseMs) })
  const entries = new Map<string, Entry>()
  const byChannel = new Map<string, Entry>()
  // Ticks of the channels this gateway leads reach tick watchers at once; changes go round Redis.
  const inner = createScheduler({ ...o, onChange: publish, onTicked: (lq, change) => leading(lq) && o.onTicked?.(lq, change) })
  const roles = createRoles({ store, inner, log: r.log, me, followTimeoutMs, enqueue })
  let nextCid = 1
  let timer: NodeJS.Timeout | undefined

  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const e = byChannel.get(channel.toString())
    if (e) enqueue(e, () => onMessage(e, message))
  })

  function enqueue(e: Entry, job: () => unknown) {
    e.queue = e.queue.then(async () => void (await job())).catch((error) => r.log.warn('live replication failed', { topic: e.topic, error }))
  }

  const leading = (lq: LiveQuery) => entries.get(lq.topic)?.leading?.lq === lq

  /** Leader: the scheduler's change goes to Redis with the state; it reaches watchers when Redis relays it back. */
  function publish(lq: LiveQuery, change: Change) {
    const e = entries.get(lq.topic)
    if (!e || !leading(lq)) return
    store.publish(e.topic, lq.exportState(), deltaFrame(lq.cid, lq.seq, change, lq.spec.meta.time, Date.now()))
      .then((ok) => ok || enqueue(e, () => roles.demote(e)))
      .catch((error) => r.log.warn('live publish failed', { topic: e.topic, error }))
  }

  /** A relayed frame: the leader's own (its query holds it), or a mirror's next change. */
  async function onMessage(e: Entry, message: Buffer) {
    if (e.closed) return
    if (message.length === 0) return roles.takeOver(e)
    const lq = e.w.lq
    if (e.leading) return o.deliver(lq, withCid(message, lq.cid))
    if (!e.synced) return
    const f = decodeServerFrame(message)
    if (f.type !== S.DELTA || f.seq <= lq.seq) return
    if (f.seq === lq.seq + 1) lq.applyPublished(f.seq, changeOf(f, lq.spec.meta))
    else {
      // Frames were missed (Redis reconnect): the stored state is at least this new. Watchers
      // see the gap and resync (docs/protocol.md), getting the restored snapshot.
      const s = await store.readState(e.topic)
      if (s) lq.restore(s)
    }
    o.deliver(lq, withCid(message, lq.cid))
  }

  function renewAll() {
    for (const e of entries.values()) {
      if (e.leading) {
        store.renew(e.topic)
          .then((ok) => ok || enqueue(e, () => roles.demote(e)))
          .catch((error) => r.log.warn('live lease renewal failed', { topic: e.topic, error }))
      } else if (e.synced) enqueue(e, () => roles.takeOver(e))
    }
  }

  function forget(e: Entry) {
    if (entries.get(e.topic) === e) entries.delete(e.topic)
    if (byChannel.get(store.channelOf(e.topic)) === e) byChannel.delete(store.channelOf(e.topic))
  }

  async function end(e: Entry) {
    await roles.resign(e)
    // A new watcher may have reopened the channel meanwhile; it keeps the subscription.
    if (!entries.has(e.topic)) await subscriber.unsubscribe(store.channelOf(e.topic))
  }

  function open(spec: ChannelSpec, params: unknown, topic: string): Entry {
    const lq = new LiveQuery(nextCid++, topic, spec, params, o.ch, o)
    const e: Entry = { topic, spec, params, w: { lq, ready: Promise.resolve(), watchers: 0 }, synced: false, queue: Promise.resolve(), closed: false }
    const ready = subscriber.subscribe(store.channelOf(topic)).then(() => roles.begin(e))
    e.w.ready = ready
    // A failed start forgets the channel; the next watcher starts it again.
    e.queue = ready.catch(() => (forget(e), end(e).catch(() => {})))
    entries.set(topic, e)
    byChannel.set(store.channelOf(topic), e)
    return e
  }

  return {
    acquire(spec, params, topic) {
      const e = entries.get(topic) ?? open(spec, params, topic)
      e.w.watchers++
      return e.w
    },
    release(w) {
      if (--w.watchers > 0) return
      const e = entries.get(w.lq.topic)
      if (!e || e.w !== w) return
      e.closed = true
      forget(e)
      enqueue(e, () => end(e))
    },
    leads: (topic) => !!entries.get(topic)?.leading,
    start() {
      inner.start()
      timer ??= setInterval(renewAll, Math.max(50, Math.floor(leaseMs / 3)))
    },
    async stop() {
      clearInterval(timer)
      timer = undefined
      await inner.stop()
      const open = [...entries.values()]
      for (const e of open) (e.closed = true), forget(e)
      await Promise.all(open.map((e) => e.queue.then(() => end(e)).catch(() => {})))
      subscriber.disconnect()
      await redis.quit().catch(() => redis.disconnect())
    },
    stats: () => inner.stats(),
  }
}

/** The role changes of one channel on this gateway: begin (lead or follow), take over, demote, resign. */
function createRoles(x: { store: LeaseStore; inner: Scheduler; log: Logger; me: string; followTimeoutMs: number; enqueue(e: Entry, job: () => unknown): void }) {
  const { store, inner } = x

  /** First watcher here: lead the channel when nobody does, else mirror the leader's state. */
  async function begin(e: Entry) {
    const deadline = Date.now() + x.followTimeoutMs
    while (!e.closed) {
      if (await store.tryLease(e.topic)) return lead(e)
      const s = await store.readState(e.topic)
      if (s) return void (e.w.lq.restore(s), (e.synced = true))
      // The leader is still loading its first snapshot.
      if (Date.now() > deadline) throw new Error(`no state published for live channel ${e.topic}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Holds the lease: continue the published sequence (or load a fresh query) and run it here. */
  async function lead(e: Entry) {
    const lq = e.w.lq
    const s = await store.readState(e.topic)
    if (s) lq.restore(s)
    const ready = lq.loaded ? Promise.resolve() : lq.load()
    lq.closed = false
    e.leading = inner.acquire(e.spec, e.params, e.topic, { lq, ready })
    try {
      await ready
    } catch (error) {
      inner.release(e.leading)
      e.leading = undefined
      await store.release(e.topic).catch(() => {})
      throw error
    }
    e.synced = true
    if (!(await store.publish(e.topic, lq.exportState()))) x.enqueue(e, () => demote(e))
    x.log.info('live channel led', { topic: e.topic, seq: lq.seq, node: x.me })
  }

  async function takeOver(e: Entry) {
    if (e.closed || e.leading || !e.synced) return
    if (await store.tryLease(e.topic)) await lead(e)
  }

  /** Lost the lease (paused past it): stop querying, mirror the new leader's state. */
  async function demote(e: Entry) {
    if (!e.leading) return
    inner.release(e.leading)
    e.leading = undefined
    x.log.warn('live channel lease lost', { topic: e.topic, node: x.me })
    const s = await store.readState(e.topic)
    if (s) e.w.lq.restore(s)
  }

  /** The last watcher here left: stop querying and hand the lease on. */
  async function resign(e: Entry) {
    if (!e.leading) return
    inner.release(e.leading)
    e.leading = undefined
    await store.release(e.topic)
  }

  return { begin, takeOver, demote, resign }
}
