// The alert evaluator's LiveFeed (api/alerts/feed.ts) over the current live scheduler: a
// watch holds the channel's live query like a WebSocket watcher does, and every read of
// it reaches the watch through the scheduler's onTicked, which only the scheduler running
// the query calls (with replication: the leading gateway's inner scheduler).
// Once the gateway offers its own server-side watch API, this file is what to replace.
import { AppError } from '../../core/errors.ts'
import type { Principal } from '../../core/roles.ts'
import type { LiveFeed, LiveView, TickListener } from '../alerts/feed.ts'
import type { Logger } from '../log.ts'
import { toRows } from '../protocol/index.ts'
import { channels } from './channels.ts'
import type { Change, LiveQuery } from './live-query.ts'
import type { Scheduler, Watched } from './scheduler.ts'

export interface AlertsFeed extends LiveFeed {
  /** For LiveGatewayOptions.onTicked. */
  onTicked(lq: LiveQuery, change: Change | null): void
}

export function createAlertsFeed(o: { scheduler: () => Scheduler; log: Logger; retryMs?: number }): AlertsFeed {
  const listeners = new Map<string, Set<TickListener>>()
  const retryMs = o.retryMs ?? 5000

  const viewOf = (lq: LiveQuery): LiveView => ({
    topic: lq.topic,
    seq: lq.seq,
    rows: () => {
      const b = lq.snapshot()
      return toRows(b.cols, b.base, lq.spec.meta.time)
    },
  })

  return {
    watch(channel: string, params: Record<string, unknown>, principal: Principal, onTick: TickListener) {
      const spec = channels.get(channel)
      if (!spec) throw new AppError(400, 'UNKNOWN_CHANNEL', `no live channel ${channel}`)
      const parsed = spec.parse(params, principal)
      if (!spec.authorize(principal, parsed)) throw new AppError(403, 'NOT_ENTITLED', `not entitled to the ${channel} channel with these params`)
      const topic = spec.topic(parsed)
      let set = listeners.get(topic)
      if (!set) listeners.set(topic, (set = new Set()))
      set.add(onTick)
      let closed = false
      let held: Watched | undefined
      let retry: NodeJS.Timeout | undefined
      // A first load that fails makes the scheduler forget the query: hold it again later.
      const hold = () => {
        held = o.scheduler().acquire(spec, parsed, topic)
        const mine = held
        mine.ready.catch((error) => {
          if (closed || held !== mine) return
          o.log.warn('alert channel could not be loaded; retrying', { topic, error })
          o.scheduler().release(mine)
          held = undefined
          retry = setTimeout(() => !closed && hold(), retryMs)
          retry.unref()
        })
      }
      hold()
      return {
        close() {
          if (closed) return
          closed = true
          clearTimeout(retry)
          set.delete(onTick)
          if (!set.size && listeners.get(topic) === set) listeners.delete(topic)
          if (held) o.scheduler().release(held)
        },
      }
    },
    onTicked(lq, change) {
      const set = listeners.get(lq.topic)
      if (!set) return
      const view = viewOf(lq)
      for (const l of set) l(view, change)
    },
  }
}
