// The alerts this gateway delivered (fired here or received from replicas) in the last
// minutes, per owner. Alerts go out before their INSERT into the history table completes, so
// a resumption (SSE Last-Event-ID, the alerts channel's resume) reads this beside the table.
import type { Alert } from './schema.ts'

export interface RecentAlerts {
  add(a: Alert): void
  /** The owner's alerts with seq above `afterSeq`, in seq order. */
  after(owner: string, afterSeq: number): Alert[]
}

export function createRecentAlerts(o: { keepMs?: number; maxPerOwner?: number; now?: () => number } = {}): RecentAlerts & { stop(): void } {
  const keepMs = o.keepMs ?? 120_000
  const maxPerOwner = o.maxPerOwner ?? 10_000
  const now = o.now ?? Date.now
  const byOwner = new Map<string, { a: Alert; at: number }[]>()

  const prune = (list: { at: number }[]) => {
    const cut = now() - keepMs
    let drop = Math.max(0, list.length - maxPerOwner)
    while (drop < list.length && list[drop].at < cut) drop++
    if (drop) list.splice(0, drop)
  }
  const timer = setInterval(() => {
    for (const [owner, list] of byOwner) {
      prune(list)
      if (!list.length) byOwner.delete(owner)
    }
  }, 30_000)
  timer.unref()

  return {
    add(a) {
      let list = byOwner.get(a.owner)
      if (!list) byOwner.set(a.owner, (list = []))
      // Seq order; alerts from other replicas may arrive a little out of it.
      let i = list.length
      while (i > 0 && list[i - 1].a.seq > a.seq) i--
      list.splice(i, 0, { a, at: now() })
      prune(list)
    },
    after(owner, afterSeq) {
      const list = byOwner.get(owner) ?? []
      let i = list.length
      while (i > 0 && list[i - 1].a.seq > afterSeq) i--
      return list.slice(i).map((e) => e.a)
    },
    stop: () => clearInterval(timer),
  }
}

/** Alerts from the table and from the recent ones, each once, in seq order. */
export function mergeBySeq(...lists: Alert[][]): Alert[] {
  const byId = new Map<string, Alert>()
  for (const list of lists) for (const a of list) if (!byId.has(a.id)) byId.set(a.id, a)
  return [...byId.values()].sort((x, y) => x.seq - y.seq)
}
