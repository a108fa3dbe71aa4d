// Runs every watched live query once per tick. The tick stretches under load so live
// queries keep ClickHouse busy at most half the time, and is bounded whatever clients ask:
// it never waits for a query still loading its first snapshot, and starts no read after
// `tickBudgetMs` (those not reached are read first next tick). An unwatched query stops polling.
import type { ClickHouseClient } from '@clickhouse/client'
import type { ChannelSpec } from './channels.ts'
import type { Cell } from '../protocol/index.ts'
import { LiveQuery, readBatch, type Change, type LiveQueryOptions } from './live-query.ts'

export interface Watched {
  lq: LiveQuery
  /** Resolves once the first snapshot is loaded; rejects if it cannot be. */
  ready: Promise<void>
  watchers: number
}

export interface SchedulerOptions extends LiveQueryOptions {
  /** Loads snapshots and serves resumption reads. */
  ch: ClickHouseClient
  /**
   * One connection per tick lane: a tick runs this many queries at once, each lane on its
   * own connection (chDB runs one query at a time per connection). Default: [ch].
   */
  tickClients?: ClickHouseClient[]
  onChange(lq: LiveQuery, change: Change): void
  /**
   * After every tick's read of a live query this scheduler runs, with its change (already
   * passed to onChange) or null when nothing changed: time moved on all the same (watch.ts tick watchers).
   */
  onTicked?(lq: LiveQuery, change: Change | null): void
  onError?(lq: LiveQuery, error: unknown): void
  /** Every tick's duration (all live queries of the tick), for the tick-time histogram. */
  onTick?(ms: number): void
  /** A tick starts no read after this long (default 4 × tickMs, at least 1 s). */
  tickBudgetMs?: number
  /** Monotonic clock in ms (tests). */
  clock?: () => number
}

export interface Scheduler {
  /** `adopt`: tick this query (and wait for `ready`) instead of creating and loading one (replication). */
  acquire(spec: ChannelSpec, params: unknown, topic: string, adopt?: { lq: LiveQuery; ready: Promise<void> }): Watched
  release(w: Watched): void
  start(): void
  stop(): Promise<void>
  stats(): { liveQueries: number; effectiveTickMs: number; lastTickMs: number }
}

/** A tick's reads, applied and published together once every read of the tick is done. */
type Read = { w: Watched; rows: Cell[][] }
type Job = (ch: ClickHouseClient, reads: Read[]) => Promise<void>

/**
 * Ticks fall on multiples of `tickMs` of the wall clock: ingestion writes its batches to be stored
 * by those instants (ingest/batcher.ts, slots), so a tick reads what was written for it instead of
 * up to a tick later. The next tick is the boundary nearest `dueMs` (the last start plus the
 * effective tick) within half a tick, so a timer firing a little late never skips one; ms from now.
 */
export function alignedWaitMs(nowMs: number, dueMs: number, tickMs: number): number {
  return Math.max(0, Math.ceil((dueMs - tickMs / 2) / tickMs) * tickMs - nowMs)
}

export function createScheduler(o: SchedulerOptions): Scheduler {
  const byTopic = new Map<string, Watched>()
  let nextCid = 1
  let running = false
  let timer: NodeJS.Timeout | undefined
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined
  let lastTickMs = 0
  let effectiveTickMs = o.tickMs

  const lanes = o.tickClients?.length ? o.tickClients : [o.ch]
  const clock = o.clock ?? (() => performance.now())
  const budgetMs = o.tickBudgetMs ?? Math.max(1000, 4 * o.tickMs)
  let resumeAt = 0

  async function runOne(w: Watched, ch: ClickHouseClient, out: Read[]) {
    try {
      out.push({ w, rows: await w.lq.read(ch) })
    } catch (e) {
      o.onError?.(w.lq, e)
    }
  }

  async function runBatch(ws: Watched[], ch: ClickHouseClient, out: Read[]) {
    try {
      const rows = await readBatch(ch, ws.map((w) => w.lq))
      ws.forEach((w, i) => out.push({ w, rows: rows[i] }))
    } catch (e) {
      for (const w of ws) o.onError?.(w.lq, e)
    }
  }

  /**
   * One job per loaded live query, except those of a batchable kind: one job (one SQL read)
   * per kind. Queries still loading are left out: they join the first tick after their load.
   * The list starts where the last tick stopped, so a tick cut short by its budget starves none.
   */
  function jobs(): Job[] {
    const out: Job[] = []
    const batches = new Map<string, Watched[]>()
    for (const w of byTopic.values()) {
      if (!w.lq.loaded) continue
      const batch = w.lq.spec.batch
      if (!batch) {
        out.push((ch, reads) => runOne(w, ch, reads))
        continue
      }
      const key = batch.key(w.lq.params)
      const list = batches.get(key)
      if (list) list.push(w)
      else batches.set(key, [w])
    }
    for (const ws of batches.values()) out.push(ws.length === 1 ? (ch, reads) => runOne(ws[0], ch, reads) : (ch, reads) => runBatch(ws, ch, reads))
    const start = out.length ? resumeAt % out.length : 0
    return [...out.slice(start), ...out.slice(0, start)]
  }

  /**
   * Reads every watched query on the lanes (until the budget is spent), then diffs and
   * publishes all changes in one synchronous pass: uWS sends a client all frames of one event
   * loop turn in one write, and no snapshot can be taken between a change being applied and
   * being published.
   */
  async function tickAll() {
    const queue = jobs()
    const total = queue.length
    const startedAt = clock()
    const reads: Read[] = []
    const workers = lanes.slice(0, queue.length).map(async (ch) => {
      while (queue.length && clock() - startedAt < budgetMs) await queue.shift()!(ch, reads)
    })
    await Promise.all(workers)
    resumeAt += total - queue.length
    // Applied and published from the loop's check phase rather than the read's completion in its
    // poll phase: uWS writes published frames at its next loop hook, and from the poll phase that
    // hook waits for every other socket event of the turn (ingestion bodies being parsed) first.
    await new Promise<void>((resolve) => setImmediate(resolve))
    for (const { w, rows } of reads) {
      if (w.lq.closed) continue
      try {
        const change = w.lq.apply(rows)
        if (change) o.onChange(w.lq, change)
        o.onTicked?.(w.lq, change)
      } catch (e) {
        o.onError?.(w.lq, e)
      }
    }
  }

  async function run() {
    while (running) {
      const started = clock()
      const startedWallMs = Date.now()
      if (byTopic.size) await tickAll()
      lastTickMs = clock() - started
      o.onTick?.(lastTickMs)
      effectiveTickMs = Math.max(o.tickMs, 2 * lastTickMs)
      if (!running) break
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, alignedWaitMs(Date.now(), startedWallMs + effectiveTickMs, o.tickMs))
      })
    }
  }

  return {
    acquire(spec, params, topic, adopt) {
      let w = byTopic.get(topic)
      if (!w) {
        const lq = adopt?.lq ?? new LiveQuery(nextCid++, topic, spec, params, o.ch, o)
        const ready = adopt?.ready ?? lq.load()
        ready.catch(() => byTopic.get(topic) === w && byTopic.delete(topic))
        w = { lq, ready, watchers: 0 }
        byTopic.set(topic, w)
      }
      w.watchers++
      return w
    },
    release(w) {
      if (--w.watchers > 0) return
      w.lq.closed = true
      if (byTopic.get(w.lq.topic) === w) byTopic.delete(w.lq.topic)
    },
    start() {
      if (running) return
      running = true
      loop = run()
    },
    async stop() {
      running = false
      clearTimeout(timer)
      wake?.()
      await loop
    },
    stats: () => ({ liveQueries: byTopic.size, effectiveTickMs, lastTickMs }),
  }
}
