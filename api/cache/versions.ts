import type { ClickHouseClient } from '@clickhouse/client'

/**
 * Data versions for cache keys: how many rows each raw table holds per event minute (from the
 * start of the previous hour), hour (back to yesterday 00:00 UTC) and day (before that), from
 * `data_version_buckets`, fed by one materialized view per raw table on every path that writes
 * (clickhouse/views/013): the gateway's INSERTs and the Kafka engine alike. Polled with one
 * small query every `pollMs`; a closed catalog range puts the versions of the minutes, hours or
 * days it touches into its cache key, so a late row, however late, makes the cached answers
 * over its bucket unreachable, while rows arriving now leave a range of earlier minutes alone.
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
  /**
   * Polls pause once no key has been tagged for this long (default a minute): an idle server
   * does not read versions nobody asks for. The first tag after a pause polls at once and is
   * `stale:` until that reading is a grace period old (a key that lives a few seconds).
   */
  idleAfterMs?: number
}

/** One source's buckets (start ms, ascending) with running totals, for O(log n) range sums. */
interface Buckets {
  starts: Float64Array
  /** prefix[i] = rows of buckets [0, i). */
  prefix: Float64Array
}

/** One granularity's buckets, used for event times in [fromMs, toMs). */
interface Zone {
  fromMs: number
  toMs: number
  unitMs: number
  sources: Map<string, Buckets>
}

interface Reading {
  at: number
  zones: Zone[]
}

const minuteMs = 60_000
const hourMs = 3_600_000
const dayMs = 86_400_000

/** Where each granularity starts: minutes from the previous hour's start, hours from yesterday 00:00 UTC. */
export function zoneStarts(nowMs: number) {
  return { minutes: Math.floor(nowMs / hourMs) * hourMs - hourMs, hours: Math.floor(nowMs / dayMs) * dayMs - dayMs }
}

/**
 * The bounds are written into the text, not bound: embedded chDB runs bound-parameter queries
 * one at a time process-wide, and the poll must not queue behind catalog queries (a late poll
 * makes every closed key fall back to the stale epoch). They are integers we computed.
 */
const pollSql = (hours: number, minutes: number) => `
  SELECT source, toInt64(toUnixTimestamp(bucket)) * 1000 AS t, toString(unit) AS g, sum(rows) AS n
  FROM data_version_buckets
  WHERE (unit = 'd' AND bucket < fromUnixTimestamp64Milli(${hours}, 'UTC'))
     OR (unit = 'h' AND bucket >= fromUnixTimestamp64Milli(${hours}, 'UTC') AND bucket < fromUnixTimestamp64Milli(${minutes}, 'UTC'))
     OR (unit = 'm' AND bucket >= fromUnixTimestamp64Milli(${minutes}, 'UTC'))
  GROUP BY source, unit, bucket`

export function createDataVersions(o: DataVersionsOptions): DataVersions {
  const now = o.now ?? Date.now
  const pollMs = o.pollMs ?? 1000
  const graceMs = o.graceMs ?? pollMs
  const maxStaleMs = o.maxStaleMs ?? Math.max(5000, 5 * pollMs)
  const staleEpochMs = o.staleEpochMs ?? 5000
  let current: Reading | undefined
  const pending: Reading[] = []
  const idleAfterMs = o.idleAfterMs ?? 60_000
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false
  let looping = false
  let taggedAt = now()

  /** Adopts the newest pending reading that is at least graceMs old. */
  const adopt = () => {
    const t = now()
    while (pending.length && t - pending[0].at >= graceMs) current = pending.shift()
  }

  async function poll() {
    const { hours, minutes } = zoneStarts(now())
    const rs = await o.clickhouse.query({
      query: pollSql(hours, minutes),
      format: 'JSONCompactEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const rows = await rs.json<[string, number, 'd' | 'h' | 'm', number]>()
    const zone = (g: string, fromMs: number, toMs: number, unitMs: number): Zone => ({ fromMs, toMs, unitMs, sources: index(rows.filter((r) => r[2] === g)) })
    // Stamped when the answer is in, not when asked: the grace then starts after the engine's snapshot.
    pending.push({ at: now(), zones: [zone('d', -Infinity, hours, dayMs), zone('h', hours, minutes, hourMs), zone('m', minutes, Infinity, minuteMs)] })
    adopt()
  }

  const loop = async () => {
    timer = undefined
    looping = true
    try {
      if (now() - taggedAt <= idleAfterMs) await poll()
    } catch (e) {
      o.onError?.(e)
    }
    looping = false
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
      const t = now()
      const paused = t - taggedAt > idleAfterMs
      taggedAt = t
      if (paused && running && !looping) {
        clearTimeout(timer)
        void loop()
      }
      adopt()
      const r = current
      if (!r || t - r.at > maxStaleMs) return `stale:${Math.floor(t / staleEpochMs)}`
      const [from, to] = range ?? [-Infinity, Infinity]
      // The buckets the range touches in each zone: partly covered ones count whole.
      const count = (s: string) => r.zones.reduce((sum, z) =>
        sum + rowsIn(z.sources.get(s), Math.max(Math.floor(from / z.unitMs) * z.unitMs, z.fromMs), Math.min(to, z.toMs)), 0)
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
