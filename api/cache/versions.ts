import type { ClickHouseClient } from '@clickhouse/client'

/**
 * Data versions for cache keys: how many rows each raw table holds per event hour (yesterday
 * and today, `data_versions_1h`) and per event day (before that, `data_versions`), both fed
 * by materialized views on every path that writes (clickhouse/views/010, 011): the gateway's
 * INSERTs and the Kafka engine alike. Polled with one small query every `pollMs`; a closed
 * catalog range puts the versions of the hours or days it covers into its cache key, so a
 * late row, however late, makes the cached answers over its hour or day unreachable, while
 * rows arriving now leave a range of earlier hours alone.
 *
 * A reading is used only once it is `graceMs` old: the version's row and the rollups' rows
 * of one INSERT are committed one view after another, and a query run in between would
 * otherwise cache the old rollup under the new version. Without a usable reading (not yet
 * polled, or polling failing for `maxStaleMs`), keys change every `staleEpochMs` instead, so
 * no answer outlives that while versions are unknown.
 */
export interface DataVersions {
  /** Version text of `sources` over [fromMs, toMs) (or all time): part of a cache key. */
  tag(sources: readonly string[], range?: readonly [number, number]): string
  /** Polls once now (tests, start-up). */
  poll(): Promise<void>
  start(): void
  stop(): void
}

export interface DataVersionsOptions {
  clickhouse: ClickHouseClient
  pollMs?: number
  graceMs?: number
  maxStaleMs?: number
  staleEpochMs?: number
  now?: () => number
  onError?: (e: unknown) => void
}

/** One source's buckets (start ms, ascending) with running totals, for O(log n) range sums. */
interface Buckets {
  starts: Float64Array
  /** prefix[i] = rows of buckets [0, i). */
  prefix: Float64Array
}

interface Reading {
  at: number
  /** Hours from here on, days before. */
  cutoffMs: number
  days: Map<string, Buckets>
  hours: Map<string, Buckets>
}

const hourMs = 3_600_000
const dayMs = 86_400_000

/** Yesterday's 00:00 UTC: hours after it come from data_versions_1h (kept three days), days before it from data_versions. */
export const hourlySince = (nowMs: number) => Math.floor(nowMs / dayMs) * dayMs - dayMs

/**
 * The cutoff is written into the text, not bound: embedded chDB runs bound-parameter queries
 * one at a time process-wide, and the poll must not queue behind catalog queries (a late poll
 * makes every closed key fall back to the stale epoch). It is an integer we computed.
 */
const pollSql = (cutoffMs: number) => `
  SELECT source, toInt64(toUnixTimestamp(toDateTime(day, 'UTC'))) * 1000 AS t, 'd' AS g, sum(rows) AS n
  FROM data_versions WHERE day < toDate(fromUnixTimestamp64Milli(${Math.trunc(cutoffMs)}, 'UTC')) GROUP BY source, day
  UNION ALL
  SELECT source, toInt64(toUnixTimestamp(hour)) * 1000 AS t, 'h' AS g, sum(rows) AS n
  FROM data_versions_1h WHERE hour >= fromUnixTimestamp64Milli(${Math.trunc(cutoffMs)}, 'UTC') GROUP BY source, hour`

export function createDataVersions(o: DataVersionsOptions): DataVersions {
  const now = o.now ?? Date.now
  const pollMs = o.pollMs ?? 1000
  const graceMs = o.graceMs ?? pollMs
  const maxStaleMs = o.maxStaleMs ?? Math.max(5000, 5 * pollMs)
  const staleEpochMs = o.staleEpochMs ?? 5000
  let current: Reading | undefined
  const pending: Reading[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false

  /** Adopts the newest pending reading that is at least graceMs old. */
  const adopt = () => {
    const t = now()
    while (pending.length && t - pending[0].at >= graceMs) current = pending.shift()
  }

  async function poll() {
    const cutoffMs = hourlySince(now())
    const rs = await o.clickhouse.query({
      query: pollSql(cutoffMs),
      format: 'JSONCompactEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const rows = await rs.json<[string, number, 'd' | 'h', number]>()
    // Stamped when the answer is in, not when asked: the grace then starts after the engine's snapshot.
    pending.push({ at: now(), cutoffMs, days: index(rows.filter((r) => r[2] === 'd')), hours: index(rows.filter((r) => r[2] === 'h')) })
    adopt()
  }

  const loop = async () => {
    try {
      await poll()
    } catch (e) {
      o.onError?.(e)
    }
    if (running) timer = setTimeout(loop, pollMs)
  }

  return {
    poll,
    start() {
      if (running) return
      running = true
      void loop()
    },
    stop() {
      running = false
      clearTimeout(timer)
    },
    tag(sources, range) {
      adopt()
      const t = now()
      const r = current
      if (!r || t - r.at > maxStaleMs) return `stale:${Math.floor(t / staleEpochMs)}`
      const [from, to] = range ?? [-Infinity, Infinity]
      const count = (s: string) =>
        // Days and hours the range touches: partly covered ones count whole.
        rowsIn(r.days.get(s), Math.floor(from / dayMs) * dayMs, Math.min(to, r.cutoffMs)) +
        rowsIn(r.hours.get(s), Math.max(Math.floor(from / hourMs) * hourMs, r.cutoffMs), to)
      return sources.map((s) => `${s}=${count(s)}`).join(',')
    },
  }
}

function index(rows: [string, number, string, number][]): Map<string, Buckets> {
  const by = new Map<string, [number, number][]>()
  for (const [source, start, , n] of rows) {
    let list = by.get(source)
    if (!list) by.set(source, (list = []))
    list.push([start, n])
  }
  const out = new Map<string, Buckets>()
  for (const [source, list] of by) {
    list.sort((a, b) => a[0] - b[0])
    const starts = new Float64Array(list.length)
    const prefix = new Float64Array(list.length + 1)
    list.forEach(([t, n], i) => ((starts[i] = t), (prefix[i + 1] = prefix[i] + n)))
    out.set(source, { starts, prefix })
  }
  return out
}

/** Rows of buckets starting in [fromMs, toMs). */
function rowsIn(b: Buckets | undefined, fromMs: number, toMs: number): number {
  if (!b || !(fromMs < toMs)) return 0
  return b.prefix[lowerBound(b.starts, toMs)] - b.prefix[lowerBound(b.starts, fromMs)]
}

/** First index whose start is >= t. */
function lowerBound(starts: Float64Array, t: number): number {
  let lo = 0
  let hi = starts.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (starts[mid] < t) lo = mid + 1
    else hi = mid
  }
  return lo
}
