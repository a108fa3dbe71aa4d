import type { ClickHouseClient } from '@clickhouse/client'

/**
 * Data versions for cache keys: how many rows each raw table holds per event day
 * (`data_versions`, clickhouse/views/010, fed by materialized views on every path that
 * writes: the gateway's INSERTs and the Kafka engine alike). Polled with one small query
 * every `pollMs`; a catalog call puts the versions of the days it covers into its cache key,
 * so a late row, however late, makes the cached answers over its day unreachable.
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
  /** Time of the reading in use, or undefined while versions are unknown. */
  readonly readingAt: number | undefined
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

/** One source's days (days since 1970, ascending) with running totals, for O(log n) range sums. */
interface SourceDays {
  days: Int32Array
  /** prefix[i] = rows of days[0..i). */
  prefix: Float64Array
}

interface Reading {
  at: number
  sources: Map<string, SourceDays>
}

const dayMs = 86_400_000

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
    const rs = await o.clickhouse.query({
      query: 'SELECT source, toInt32(day) AS d, sum(rows) AS n FROM data_versions GROUP BY source, d ORDER BY source, d',
      format: 'JSONCompactEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const sources = index(await rs.json<[string, number, number]>())
    // Stamped when the answer is in, not when asked: the grace then starts after the engine's snapshot.
    pending.push({ at: now(), sources })
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
    get readingAt() {
      adopt()
      return current && now() - current.at <= maxStaleMs ? current.at : undefined
    },
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
      if (!current || t - current.at > maxStaleMs) return `stale:${Math.floor(t / staleEpochMs)}`
      const fromDay = range ? Math.floor(range[0] / dayMs) : -Infinity
      const toDay = range ? Math.ceil(range[1] / dayMs) : Infinity // exclusive
      return sources.map((s) => `${s}=${rowsIn(current!.sources.get(s), fromDay, toDay)}`).join(',')
    },
  }
}

function index(rows: [string, number, number][]): Map<string, SourceDays> {
  const by = new Map<string, [number, number][]>()
  for (const [source, day, n] of rows) {
    let list = by.get(source)
    if (!list) by.set(source, (list = []))
    list.push([day, n])
  }
  const out = new Map<string, SourceDays>()
  for (const [source, list] of by) {
    const days = new Int32Array(list.length)
    const prefix = new Float64Array(list.length + 1)
    list.forEach(([d, n], i) => ((days[i] = d), (prefix[i + 1] = prefix[i] + n)))
    out.set(source, { days, prefix })
  }
  return out
}

/** Rows of days in [fromDay, toDay). */
function rowsIn(s: SourceDays | undefined, fromDay: number, toDay: number): number {
  if (!s) return 0
  return s.prefix[lowerBound(s.days, toDay)] - s.prefix[lowerBound(s.days, fromDay)]
}

/** First index whose day is >= d. */
function lowerBound(days: Int32Array, d: number): number {
  let lo = 0
  let hi = days.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (days[mid] < d) lo = mid + 1
    else hi = mid
  }
  return lo
}
