// The recent rows of one entity of a watched channel (one symbol's candles, one currency's
// sales, one ticker row over time): what change_pct looks back into and closed buckets read.
import type { Cell } from '../protocol/index.ts'

export interface Point {
  t: number
  row: Cell[]
}

export class EntitySeries {
  readonly points: Point[] = []
  /** Per column, the last value the level rules were evaluated at (evaluator.ts). */
  readonly seen = new Map<number, number>()
  /** Per change_pct group (column and window), the last percentage its rules were evaluated at. */
  readonly seenPct = new Map<object, number>()
  /** Per anomaly group (column, days, direction), the last turned z-score its rules were evaluated at. */
  readonly seenZ = new Map<object, number>()

  constructor(readonly key: string, readonly entity: Record<string, string | number>) {}

  /** Series: one row per bucket time (a later row for the same bucket replaces it). */
  upsert(t: number, row: Cell[]) {
    const p = this.points
    let i = p.length - 1
    while (i >= 0 && p[i].t > t) i--
    if (i >= 0 && p[i].t === t) p[i] = { t, row }
    else p.splice(i + 1, 0, { t, row })
  }

  /** Tape and table rows: every row is a new point (time order kept). */
  push(t: number, row: Cell[]) {
    const p = this.points
    if (!p.length || p[p.length - 1].t <= t) p.push({ t, row })
    else this.upsertAfterEqual(t, row)
  }

  private upsertAfterEqual(t: number, row: Cell[]) {
    let i = this.points.length - 1
    while (i >= 0 && this.points[i].t > t) i--
    this.points.splice(i + 1, 0, { t, row })
  }

  newest(): Point | undefined {
    return this.points[this.points.length - 1]
  }

  /** The row of bucket `t` exactly. */
  at(t: number): Point | undefined {
    for (let i = this.points.length - 1; i >= 0; i--) {
      if (this.points[i].t === t) return this.points[i]
      if (this.points[i].t < t) return undefined
    }
    return undefined
  }

  /** The newest point at or before `t` (binary search: change_pct rules ask on every tick). */
  atOrBefore(t: number): Point | undefined {
    const p = this.points
    let lo = 0
    let hi = p.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (p[mid].t <= t) (found = mid), (lo = mid + 1)
      else hi = mid - 1
    }
    return found < 0 ? undefined : p[found]
  }

  /** Drops points older than `t`, keeping at least the newest `min`. */
  trimBefore(t: number, min = 2) {
    let drop = 0
    while (drop < this.points.length - min && this.points[drop].t < t) drop++
    if (drop) this.points.splice(0, drop)
  }
}
