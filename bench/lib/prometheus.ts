// Reading one histogram out of two /metrics scrapes, so a benchmark can take the server's
// own figures for a window by scraping only at its start and end. The text format is parsed
// by the one parser the operator page uses too (ui/src/lib/prom.ts).
import { bucketIncrease, Scrape, type Bucket } from '../../ui/src/lib/prom.ts'

/** Cumulative bucket counts by ascending upper bound (`le`, seconds; Infinity for +Inf). */
export type Buckets = Bucket[]

/** The `<name>_bucket` series of a Prometheus text exposition, summed over any other labels. */
export function histogramBuckets(text: string, name: string): Buckets {
  return new Scrape(text).buckets(name)
}

/**
 * Observations between two scrapes: their count, and the upper bound (seconds) of the
 * bucket holding the p50 and the largest one. A histogram only knows buckets, so both are
 * "at most" figures; null when nothing was observed. A counter reset between the scrapes
 * counts the second scrape's observations only.
 */
export function histogramWindow(before: Buckets, after: Buckets): { count: number; p50AtMostS: number | null; maxAtMostS: number | null } {
  const window = bucketIncrease(before, after)
  const count = window.at(-1)?.count ?? 0
  if (count <= 0) return { count: 0, p50AtMostS: null, maxAtMostS: null }
  const at = (rank: number) => window.find((b) => b.count >= rank)!.le
  return { count, p50AtMostS: at(count / 2), maxAtMostS: at(count) }
}
