// Reading one histogram out of two /metrics scrapes, so a benchmark can take the server's
// own figures for a window by scraping only at its start and end.

/** Cumulative bucket counts by upper bound (`le`, seconds; Infinity for +Inf). */
export type Buckets = Map<number, number>

/** The `<name>_bucket` series of a Prometheus text exposition (no other labels expected). */
export function histogramBuckets(text: string, name: string): Buckets {
  const buckets: Buckets = new Map()
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm')
  for (const m of text.matchAll(re)) buckets.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]))
  return buckets
}

/**
 * Observations between two scrapes: their count, and the upper bound (seconds) of the
 * bucket holding the p50 and the largest one. A histogram only knows buckets, so both are
 * "at most" figures; null when nothing was observed.
 */
export function histogramWindow(before: Buckets, after: Buckets): { count: number; p50AtMostS: number | null; maxAtMostS: number | null } {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const cumulative = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0))
  const count = cumulative.at(-1) ?? 0
  if (count <= 0) return { count: 0, p50AtMostS: null, maxAtMostS: null }
  const at = (rank: number) => bounds[cumulative.findIndex((n) => n >= rank)]
  return { count, p50AtMostS: at(count / 2), maxAtMostS: at(count) }
}
