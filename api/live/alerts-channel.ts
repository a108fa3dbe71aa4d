// The `alerts` WebSocket channel (docs/protocol.md): a client already connected for live
// data subscribes to its own fired alerts on the same socket. Unlike the other channels no
// live query polls it: alerts are pushed as they are recorded (api/alerts/bus.ts), after a
// snapshot of the recent ones read from the alerts history. The gateway hands SUBSCRIBE,
// UNSUBSCRIBE and RESYNC of push channels to `PushChannel`.
import type { Principal } from '../../core/roles.ts'
import type { AlertBus } from '../alerts/bus.ts'
import { mergeBySeq, type RecentAlerts } from '../alerts/recent.ts'
import { alertJson, type Alert } from '../alerts/schema.ts'
import type { RuleStore } from '../alerts/store.ts'
import type { Logger } from '../log.ts'
import { encodeServerFrame, ErrorCodes, ProtocolError, S, type Cell, type ChannelMeta } from '../protocol/index.ts'
import { toBlock } from './live-query.ts'

/** A channel whose rows are pushed to each subscription rather than read by a live query. */
export interface PushChannel {
  /** SUBSCRIBE: throws ProtocolError (BAD_ARGUMENT, FORBIDDEN) to refuse. */
  open(o: PushOpen): PushSubscription
}

export interface PushOpen {
  principal: Principal
  sid: number
  params: Record<string, unknown>
  resume?: { seq: number; t: number }
  /** Sends one frame to this connection (0/1 sent, 2 dropped). */
  send(frame: Uint8Array): number
}

export interface PushSubscription {
  resync(): void
  close(): void
}

export const alertsMeta: ChannelMeta = {
  columns: ['t', 'id', 'seq', 'rule_id', 'rule_name', 'value', 'channel', 'params', 'entity', 'column', 'op', 'threshold'],
  key: [1],
  time: 0,
}

/** Recent alerts in a snapshot without `resume`. */
const snapshotAlerts = 50
// Push channels' cids: far above the live queries' (counted from 1), so a client never confuses them.
let nextCid = 0x40000000

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
  log: Logger
}): PushChannel {
  return {
    open(s) {
      if (Object.keys(s.params).length) throw new ProtocolError('BAD_ARGUMENT', 'alerts takes no params', s.sid)
      const cid = nextCid++
      let seq = 0
      let closed = false
      let generation = 0
      // Non-null while a snapshot is being read: alerts recorded meanwhile wait for it.
      let pending: Alert[] | null = null
      const sent = new Set<string>()

      const deliver = (a: Alert) => {
        if (closed || sent.has(a.id) || !o.mayReceive(s.principal, a)) return
        sent.add(a.id)
        if (sent.size > 10_000) sent.delete(sent.values().next().value!)
        const block = toBlock([rowOf(a)], 0, a.firedAt)
        s.send(encodeServerFrame({ type: S.DELTA, cid, seq: ++seq, base: block.base, sentOffset: Date.now() - block.base, append: block.cols, replace: null, remove: null }))
      }

      async function snapshot(since: number | null) {
        const mine = ++generation
        pending ??= []
        try {
          const written = await o.store.history(s.principal.sub, since === null ? { limit: snapshotAlerts } : { fromMs: since, limit: 1000 })
          if (closed || mine !== generation) return
          const unwritten = o.recent.after(s.principal.sub, 0).filter((a) => since === null || a.firedAt >= since)
          const alerts = mergeBySeq(written, unwritten).slice(since === null ? -snapshotAlerts : -1000).filter((a) => o.mayReceive(s.principal, a))
          for (const a of alerts) sent.add(a.id)
          const rows = alerts.map(rowOf)
          const block = toBlock(rows, 0, rows.length ? (rows[0][0] as number) : Date.now())
          s.send(encodeServerFrame({ type: S.SNAPSHOT, sid: s.sid, cid, seq, meta: alertsMeta, base: block.base, cols: block.cols, since }))
        } catch (error) {
          if (closed || mine !== generation) return
          o.log.warn('alerts channel snapshot failed', { error })
          s.send(encodeServerFrame({ type: S.ERROR, sid: s.sid, code: ErrorCodes.UNAVAILABLE, reason: 'UNAVAILABLE', message: 'the alerts history cannot be read right now; resync later', temporary: true }))
        }
        const waiting = pending ?? []
        pending = null
        for (const a of waiting) deliver(a)
      }

      const unsubscribe = o.bus.subscribe(s.principal.sub, (a) => (pending ? pending.push(a) : deliver(a)))
      void snapshot(s.resume ? s.resume.t : null)
      return {
        resync: () => void snapshot(null),
        close() {
          closed = true
          unsubscribe()
        },
      }
    },
  }
}
