// Columnar sliding buffers for time series: one Float64Array per column with twice the
// capacity, so the visible window is always one contiguous subarray that uPlot can draw
// without copying; when the end is reached the newest `capacity` rows move to the front
// (amortised O(1) per row). Times are kept sorted; a row for an existing time replaces it.
import type { Cell } from '../../../api/protocol/index.ts'

export class SeriesBuffer {
  private readonly cols: Float64Array[]
  private start = 0
  private end = 0
  /** Non-numeric columns (currency, side…) keep their newest value only. */
  readonly text = new Map<number, string>()

  constructor(readonly width: number, readonly capacity: number, readonly time = 0) {
    this.cols = Array.from({ length: width }, () => new Float64Array(capacity * 2))
  }

  get length() {
    return this.end - this.start
  }

  clear() {
    this.start = this.end = 0
  }

  /** The visible rows of column `c`, oldest first (a view; valid until the next write). */
  column(c: number): Float64Array {
    return this.cols[c].subarray(this.start, this.end)
  }

  last(c: number): number {
    return this.length ? this.cols[c][this.end - 1] : NaN
  }

  first(c: number): number {
    return this.length ? this.cols[c][this.start] : NaN
  }

  /** Drops every row at or after `t` (a resumption replaces them). */
  truncateFrom(t: number) {
    const i = this.lowerBound(t)
    this.end = i
  }

  /** Upserts columnar rows (oldest first). Returns whether anything changed. */
  upsert(cols: Cell[][]): boolean {
    const n = cols[this.time]?.length ?? 0
    for (let r = 0; r < n; r++) this.upsertRow(cols, r)
    return n > 0
  }

  private upsertRow(cols: Cell[][], r: number) {
    const t = cols[this.time][r] as number
    const ts = this.cols[this.time]
    let i: number
    if (this.length === 0 || t > ts[this.end - 1]) {
      if (this.end === this.capacity * 2) this.compact()
      i = this.end++
    } else {
      i = this.lowerBound(t)
      if (!(i < this.end && ts[i] === t)) {
        if (i === this.start && this.length >= this.capacity) return // older than the window
        if (this.end === this.capacity * 2) (this.compact(), (i = this.lowerBound(t)))
        for (const col of this.cols) col.copyWithin(i + 1, i, this.end)
        this.end++
      }
    }
    for (let c = 0; c < this.width; c++) {
      const v = cols[c][r]
      if (typeof v === 'number') this.cols[c][i] = v
      else {
        this.cols[c][i] = NaN
        if (typeof v === 'string') this.text.set(c, v)
      }
    }
    if (this.length > this.capacity) this.start = this.end - this.capacity
  }

  private compact() {
    const keep = Math.min(this.length, this.capacity - 1)
    for (const col of this.cols) col.copyWithin(0, this.end - keep, this.end)
    this.start = 0
    this.end = keep
  }

  private lowerBound(t: number): number {
    const ts = this.cols[this.time]
    let lo = this.start
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ts[mid] < t) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
