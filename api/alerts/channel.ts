// The `alerts` WebSocket channel (docs/protocol.md): a client already connected for live
// data subscribes to its own fired alerts on the same socket. No live query polls it: it is a
// pushed channel (api/live/push-channel.ts). Who may subscribe is api/access.ts's; this file
// decides which rows each subscription gets (a snapshot of recent alerts from the history, then each alert
// as it is recorded, api/alerts/bus.ts); the gateway admits, counts, frames and sends them.
import { z } from 'zod'
import type { Principal } from '../../core/roles.ts'
import type { PushChannel, PushSink } from '../live/push-channel.ts'
import type { Cell, ChannelMeta } from '../protocol/index.ts'
import type { AlertBus } from './bus.ts'
import { mergeBySeq, type RecentAlerts } from './recent.ts'
import { alertJson, type Alert } from './schema.ts'
import type { RuleStore } from './store.ts'

export const alertsMeta: ChannelMeta = {
  columns: ['t', 'id', 'seq', 'rule_id', 'rule_name', 'value', 'channel', 'params', 'entity', 'column', 'op', 'threshold'],
  key: [1],
  time: 0,
}

/** Recent alerts in a snapshot without `since`; at most this many more with one. */
const snapshotAlerts = 50
const resumedAlerts = 1000
/** Alert ids a subscription remembers having sent, so none goes out twice. */
const maxRemembered = 10_000

const noParams = z.object({}).strict()

const rowOf = (a: Alert): Cell[] => {
  const j = alertJson(a)
  return [a.firedAt, a.id, a.seq, a.ruleId, a.ruleName, a.value, a.channel, JSON.stringify(j.params), JSON.stringify(j.entity), a.condition.column, a.condition.op, a.condition.value]
}

export function createAlertsChannel(o: {
  bus: AlertBus
  store: Pick<RuleStore, 'history'>
  /** Alerts delivered lately, maybe not written to the history yet. */
  recent: RecentAlerts
  mayReceive(p: Principal, a: Alert): boolean
}): PushChannel<Record<string, never>> {
  return {
    name: 'alerts',
    meta: alertsMeta,
    parse: (raw) => noParams.parse(raw),
    topic: (p) => `alerts/${p.sub}`,
    open: ({ principal, since }, sink) => openSubscription(o, principal, since, sink),
  }
}

function openSubscription(o: Parameters<typeof createAlertsChannel>[0], principal: Principal, since: number | null, sink: PushSink) {
  let closed = false
  let generation = 0
  // Non-null while a snapshot is being read: alerts recorded meanwhile wait for it.
  let pending: Alert[] | null = null
  const sent = new Set<string>()
  const remember = (a: Alert) => {
    sent.add(a.id)
    if (sent.size > maxRemembered) sent.delete(sent.values().next().value!)
  }

  const deliver = (a: Alert) => {
    if (closed || sent.has(a.id) || !o.mayReceive(principal, a)) return
    remember(a)
    sink.append([rowOf(a)])
  }

  async function snapshot(from: number | null) {
    const mine = ++generation
    pending ??= []
    try {
      const written = await o.store.history(principal.sub, from === null ? { limit: snapshotAlerts } : { fromMs: from, limit: resumedAlerts })
      if (closed || mine !== generation) return
      const unwritten = o.recent.after(principal.sub, 0).filter((a) => from === null || a.firedAt >= from)
      const alerts = mergeBySeq(written, unwritten).slice(from === null ? -snapshotAlerts : -resumedAlerts).filter((a) => o.mayReceive(principal, a))
      for (const a of alerts) remember(a)
      sink.snapshot(alerts.map(rowOf), from)
    } catch (error) {
      if (closed || mine !== generation) return
      pending = null
      return sink.failed(error)
    }
    const waiting = pending ?? []
    pending = null
    for (const a of waiting) deliver(a)
  }

  const unsubscribe = o.bus.subscribe(principal.sub, (a) => (pending ? pending.push(a) : deliver(a)))
  void snapshot(since)
  return {
    resync: (from: number | null) => void snapshot(from),
    close() {
      closed = true
      unsubscribe()
    },
  }
}
