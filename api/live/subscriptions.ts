// A connection's subscriptions: admission (parameters, entitlements, the registry's limits),
// acquiring the live query from the broker, going live once its snapshot is loaded, and
// letting it all go again. Pushed channels (push-channel.ts) are admitted the same way; their
// rows come from the channel's source instead of a live query.
import { ZodError } from 'zod'
import * as access from '../access.ts'
import type { Logger } from '../log.ts'
import type { C, ClientFrame, ErrorReason, Limits } from '../protocol/index.ts'
import type { LiveBroker } from './broker.ts'
import { channels, type ChannelSpec } from './channels.ts'
import type { AnySubscription, Connection, PushSubscription, Subscription } from './connection.ts'
import type { EntityIndex } from './entities.ts'
import type { Fanout } from './fanout.ts'
import type { PushChannel } from './push-channel.ts'
import type { Registry } from './registry.ts'

type SubscribeFrame = Extract<ClientFrame, { op: typeof C.SUBSCRIBE }>
type Answer = (conn: Connection, reason: ErrorReason, message: string, sid: number | null) => void
type Admitted = { push: false; spec: ChannelSpec; params: unknown; topic: string } | { push: true; spec: PushChannel; params: unknown; topic: string }

// Pushed subscriptions' cids: far above the live queries' (counted from 1), so a client never confuses them.
const firstPushCid = 0x40000000

export interface SubscriptionsOptions {
  log: Logger
  limits: Limits
  maxSubscriptions: number
  registry: Registry
  fanout: Fanout
  entities: EntityIndex
  broker: () => LiveBroker
  /** Channels pushed per subscription (the `alerts` channel), by name. */
  pushChannels?: ReadonlyMap<string, PushChannel>
  /** Answers a client error (counted against the connection). */
  strike: Answer
  /** Answers an error that is not the client's fault. */
  sendError: Answer
}

export function createSubscriptions(o: SubscriptionsOptions) {
  let nextPushCid = firstPushCid

  /** Whether the channel is about a symbol or shop that has never had an event. */
  function unseen(spec: ChannelSpec, params: unknown): boolean {
    const about = spec.about?.(params)
    return !!about && about.ids.some((id) => !o.entities.seen(about.kind, id))
  }

  /** Parses, authorises and admits a subscription; the error to answer, or what to acquire. */
  function admit(conn: Connection, f: SubscribeFrame): { error: [ErrorReason, string] } | Admitted {
    if (conn.subs.has(f.sid)) return { error: ['ALREADY_SUBSCRIBED', 'sid already in use'] }
    if (conn.subs.size >= o.maxSubscriptions) return { error: ['TOO_MANY_SUBSCRIPTIONS', `at most ${o.maxSubscriptions} subscriptions`] }
    const pushed = o.pushChannels?.get(f.channel)
    const spec = pushed ?? channels.get(f.channel)
    if (!spec) return { error: ['UNKNOWN_CHANNEL', 'unknown channel'] }
    let params: unknown
    try {
      params = spec.parse(f.params, conn.principal)
    } catch (e) {
      const detail = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ') : 'invalid'
      return { error: ['BAD_ARGUMENT', detail.slice(0, 200)] }
    }
    const verdict = access.channel(conn.principal, spec.name, params as Record<string, unknown>)
    if (!verdict.ok) return { error: [verdict.code, verdict.message] }
    const topic = pushed ? pushed.topic(conn.principal, params) : (spec as ChannelSpec).topic(params)
    if (conn.watching(topic)) return { error: ['ALREADY_SUBSCRIBED', 'already subscribed to this channel'] }
    const refused = o.registry.admitChannel(conn.principal.sub, topic, !pushed && unseen(spec as ChannelSpec, params))
    if (refused === 'TOO_MANY_CHANNELS') return { error: [refused, `at most ${o.limits.maxChannelsPerToken} channels per token`] }
    if (refused) return { error: [refused, 'no event yet for this symbol or shop, and the channels allowed for such are taken; retry later'] }
    return pushed ? { push: true, spec: pushed, params, topic } : { push: false, spec: spec as ChannelSpec, params, topic }
  }

  function subscribe(conn: Connection, f: SubscribeFrame) {
    const a = admit(conn, f)
    if ('error' in a) return o.strike(conn, a.error[0], a.error[1], f.sid)
    if (a.push) return subscribePushed(conn, f, a.spec, a.params, a.topic)
    const w = o.broker().acquire(a.spec, a.params, a.topic)
    const sub: Subscription = { kind: 'query', sid: f.sid, w, conn, state: 'pending' }
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
        o.sendError(conn, 'UNAVAILABLE', 'the channel cannot be read right now; retry later', f.sid)
      })
  }

  /** A pushed channel: the source sends a snapshot (from `resume.t` when resuming), then its new rows. */
  function subscribePushed(conn: Connection, f: SubscribeFrame, channel: PushChannel, params: unknown, topic: string) {
    const sub: PushSubscription = { kind: 'push', sid: f.sid, conn, state: 'pending', topic, meta: channel.meta, cid: nextPushCid++, seq: 0, newest: -Infinity }
    conn.subs.set(f.sid, sub)
    const current = () => !conn.closed && conn.subs.get(f.sid) === sub
    sub.source = channel.open({ principal: conn.principal, params, since: f.resume?.t ?? null }, {
      snapshot: (rows, since) => current() && o.fanout.pushSnapshot(sub, rows, since),
      append: (rows) => current() && o.fanout.pushRows(sub, rows),
      failed(error) {
        o.log.warn('live subscribe failed', { topic, error })
        if (!current()) return
        drop(sub)
        o.sendError(conn, 'UNAVAILABLE', 'the channel cannot be read right now; retry later', f.sid)
      },
    })
  }

  function drop(sub: AnySubscription) {
    sub.conn.subs.delete(sub.sid)
    if (sub.kind === 'push') {
      o.registry.releaseChannel(sub.conn.principal.sub, sub.topic)
      return sub.source?.close()
    }
    o.registry.remove(sub)
    o.registry.releaseChannel(sub.conn.principal.sub, sub.w.lq.topic)
    if (!sub.conn.closed && sub.state !== 'pending') sub.conn.socket!.unsubscribe(sub.w.lq.topic)
    o.broker().release(sub.w)
  }

  /** RESYNC: a fresh snapshot, once the last one is out. */
  function resync(sub: AnySubscription) {
    if (sub.state !== 'live') return
    if (sub.kind === 'query') return o.fanout.goLive(sub)
    sub.source?.resync(null)
  }

  return { subscribe, drop, resync }
}
