// The one Prometheus text-format parser (the operator page and bench/lib/prometheus.ts use it): samples, and the few
// PromQL-like helpers the operator page needs: sums over labels, per-second rates of
// counters, quantiles from histogram buckets. Comment (# HELP/# TYPE) lines are skipped.

export type Labels = Record<string, string>
export interface Sample {
  name: string
  labels: Labels
  value: number
}
/** Which series to take: labels that must be equal, or a predicate. */
export type Match = Labels | ((labels: Labels) => boolean)

const special = new Map([['+Inf', Infinity], ['Inf', Infinity], ['-Inf', -Infinity], ['NaN', NaN]])

/** One sample per line; malformed lines are skipped, not fatal. */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line && line[0] !== '#') {
      const s = parseLine(line)
      if (s) out.push(s)
    }
  }
  return out
}

function parseLine(line: string): Sample | undefined {
  let i = 0
  while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++
  const name = line.slice(0, i)
  const labels: Labels = {}
  if (line[i] === '{') {
    i++
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++
      if (line[i] === '}') break
      const eq = line.indexOf('=', i)
      if (eq < 0 || line[eq + 1] !== '"') return undefined
      const key = line.slice(i, eq).trim()
      let value = ''
      for (i = eq + 2; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\') value += line[++i] === 'n' ? '\n' : (line[i] ?? '')
        else value += line[i]
      }
      if (i >= line.length) return undefined
      i++ // the closing quote
      labels[key] = value
    }
    i++ // the closing brace
  }
  const text = line.slice(i).trim().split(/\s+/)[0] // a timestamp may follow: ignored
  const value = special.get(text) ?? Number(text)
  if (!name || !text || (Number.isNaN(value) && text !== 'NaN')) return undefined
  return { name, labels, value }
}

const matches = (labels: Labels, m?: Match) =>
  !m || (typeof m === 'function' ? m(labels) : Object.entries(m).every(([k, v]) => labels[k] === v))

/** One parsed exposition and when it was read (ms). */
export class Scrape {
  private readonly byName = new Map<string, Sample[]>()

  constructor(text: string, readonly at = Date.now()) {
    for (const s of parsePrometheus(text)) {
      const list = this.byName.get(s.name)
      if (list) list.push(s)
      else this.byName.set(s.name, [s])
    }
  }

  get size() {
    return this.byName.size
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  select(name: string, m?: Match): Sample[] {
    return (this.byName.get(name) ?? []).filter((s) => matches(s.labels, m))
  }

  /** Sum of the matching samples; undefined when there is none. */
  sum(name: string, m?: Match): number | undefined {
    const list = this.select(name, m)
    return list.length ? list.reduce((a, s) => a + s.value, 0) : undefined
  }

  /** Sums grouped by one label's value (`sum by (label)`). */
  sumBy(name: string, label: string, m?: Match): Map<string, number> {
    const out = new Map<string, number>()
    for (const s of this.select(name, m)) out.set(s.labels[label] ?? '', (out.get(s.labels[label] ?? '') ?? 0) + s.value)
    return out
  }

  /** Cumulative buckets of histogram `base` summed over the matching series, by ascending `le`. */
  buckets(base: string, m?: Match): Bucket[] {
    const byLe = new Map<number, number>()
    for (const s of this.select(`${base}_bucket`, m)) {
      const le = special.get(s.labels.le) ?? Number(s.labels.le)
      if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + s.value)
    }
    return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le)
  }
}

export interface Bucket {
  le: number
  count: number
}

/** A counter's increase; a counter that went down restarted from zero (as Prometheus treats resets). */
export const increase = (prev: number, cur: number) => (cur >= prev ? cur - prev : cur)

/** Per-second rate of a counter between two readings; undefined without both. */
export function rate(prev: number | undefined, cur: number | undefined, seconds: number): number | undefined {
  if (prev === undefined || cur === undefined || !(seconds > 0)) return undefined
  return increase(prev, cur) / seconds
}

/** Bucket-wise increase of a histogram between two scrapes (`increase(x_bucket[window])`). */
export function bucketIncrease(prev: Bucket[], cur: Bucket[]): Bucket[] {
  const before = new Map(prev.map((b) => [b.le, b.count]))
  const reset = cur.some((b) => b.count < (before.get(b.le) ?? 0))
  return cur.map((b) => ({ le: b.le, count: reset ? b.count : b.count - (before.get(b.le) ?? 0) }))
}

/**
 * `histogram_quantile`: the q-quantile from cumulative buckets, interpolated linearly
 * inside the bucket it falls in; the highest finite bound when it falls in +Inf. NaN
 * without observations.
 */
export function histogramQuantile(q: number, buckets: Bucket[]): number {
  const total = buckets.at(-1)?.count ?? 0
  if (!(total > 0) || buckets.at(-1)!.le !== Infinity) return NaN
  const rank = q * total
  let lower = 0
  let below = 0
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower
      return b.count === below ? b.le : lower + (b.le - lower) * ((rank - below) / (b.count - below))
    }
    lower = b.le
    below = b.count
  }
  return NaN
}
