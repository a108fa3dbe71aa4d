// Which symbols and shops have ever had an event (within retention), read from the rollups:
// a channel of a never-seen one costs a live query that can only come up empty, so the
// gateway caps how many of those a token (and everyone together) may hold.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from '../log.ts'

export type EntityKind = 'symbol' | 'shop'

export interface EntityIndex {
  /** Whether `id` has had an event; true until the first refresh answered (no refusal on a cold start). */
  seen(kind: EntityKind, id: string): boolean
  /** Reads the sets again now (at most once per `minRefreshMs`; a pending read is shared). */
  refresh(): Promise<void>
  start(): void
  stop(): void
}

const queries: Record<EntityKind, string> = {
  symbol: 'SELECT DISTINCT symbol FROM candles_1h',
  // A shop with page views but no order yet is seen too.
  shop: 'SELECT DISTINCT shop_id FROM sales_1h UNION DISTINCT SELECT DISTINCT shop_id FROM funnel_1m',
}

export function createEntityIndex(o: { ch: ClickHouseClient; log: Logger; refreshMs?: number; minRefreshMs?: number; now?: () => number }): EntityIndex {
  const now = o.now ?? Date.now
  const refreshMs = o.refreshMs ?? 15_000
  const minRefreshMs = o.minRefreshMs ?? 5000
  let sets: Record<EntityKind, Set<string>> | undefined
  let pending: Promise<void> | undefined
  let lastAt = -Infinity
  let timer: NodeJS.Timeout | undefined

  async function read(kind: EntityKind): Promise<Set<string>> {
    const rs = await o.ch.query({ query: queries[kind], format: 'JSONCompactEachRow' })
    return new Set((await rs.json<[string]>()).map((r) => r[0]))
  }

  function refresh(): Promise<void> {
    if (pending) return pending
    if (now() - lastAt < minRefreshMs) return Promise.resolve()
    lastAt = now()
    pending = Promise.all([read('symbol'), read('shop')])
      .then(([symbol, shop]) => void (sets = { symbol, shop }))
      .catch((error) => o.log.warn('live entity index refresh failed', { error }))
      .finally(() => (pending = undefined))
    return pending
  }

  return {
    seen(kind, id) {
      if (!sets) return true
      if (sets[kind].has(id)) return true
      // Maybe its first event came after the last read: look again soon, for the next asker.
      void refresh()
      return false
    },
    refresh,
    start() {
      void refresh()
      timer ??= setInterval(() => void refresh(), refreshMs)
      timer.unref()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
