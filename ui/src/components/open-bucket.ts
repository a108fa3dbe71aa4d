import type uPlot from 'uplot'

/** A series split at its open bucket, and where the split is (for the caption and tests). */
export interface OpenSplit {
  /** [x, y1 closed, y1 open, y2 closed, y2 open, …]. */
  data: uPlot.AlignedData
  /** Start of the still-filling bucket, when the newest point is one. */
  openT?: number
  /** Start of the newest complete bucket. */
  lastClosedT?: number
}

/**
 * The newest bucket of a live series is still filling (the minute has not ended), so drawn
 * like the others it ends every chart in a cliff. This splits each y column in two series:
 * the complete buckets (drawn solid) and the open one (drawn dashed, joined to the last
 * complete point), so a chart can show it as what it is: so far, not projected.
 */
export function splitOpenBucket(x: ArrayLike<number>, ys: ArrayLike<number>[], bucketMs: number, nowMs: number): OpenSplit {
  const n = x.length
  const open = n > 0 && x[n - 1] + bucketMs > nowMs
  const closedN = open ? n - 1 : n
  const data: (ArrayLike<number> | (number | null)[])[] = [x]
  for (const y of ys) {
    const closed: (number | null)[] = Array.from(y, (v, i) => (i < closedN ? v : null))
    const partial: (number | null)[] = new Array(n).fill(null)
    if (open) {
      partial[n - 1] = y[n - 1]
      if (n > 1) partial[n - 2] = y[n - 2] // joins the dashed segment to the last complete point
    }
    data.push(closed, partial)
  }
  return { data: data as uPlot.AlignedData, openT: open ? x[n - 1] : undefined, lastClosedT: closedN > 0 ? x[closedN - 1] : undefined }
}

/**
 * `subscribe` plus a redraw when each bucket ends: with no new data the open bucket would
 * otherwise stay dashed after its minute is over.
 */
export function redrawAtBucketEnds(subscribe: (redraw: () => void) => () => void, bucketMs: number, now = Date.now): (redraw: () => void) => () => void {
  return (redraw) => {
    const off = subscribe(redraw)
    let timer: ReturnType<typeof setTimeout>
    const next = () => {
      timer = setTimeout(() => (redraw(), next()), bucketMs - (now() % bucketMs) + 50)
    }
    next()
    return () => (clearTimeout(timer), off())
  }
}
