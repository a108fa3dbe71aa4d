// Whether a rule's condition holds for one observed value. Firing is edge-triggered on top
// of this (evaluator.ts): a condition that keeps holding fires once.
import type { Condition } from './schema.ts'

/** The usual band of a value (anomaly), from ClickHouse (anomaly.ts). */
export interface Band {
  mean: number
  sd: number
  /** Buckets the band was computed over. */
  n: number
}


/** Fewer buckets than this and a band says nothing. */
export const minBandBuckets = 5

/**
 * True/false, or undefined when this observation cannot decide. `before`: change_pct's value
 * `window_s` earlier; `band`: anomaly's usual band (undefined: not known yet). Positional
 * arguments: this runs for every rule on every tick, and an object per call is garbage.
 */
export function holds(c: Condition, v: number, before?: number, band?: Band): boolean | undefined {
  switch (c.op) {
    case '>': case 'crosses_above': return v > c.value
    case '<': case 'crosses_below': return v < c.value
    case '>=': return v >= c.value
    case '<=': return v <= c.value
    case 'change_pct_above': case 'change_pct_below': {
      if (before === undefined || before === 0) return undefined
      const pct = ((v - before) / Math.abs(before)) * 100
      return c.op === 'change_pct_above' ? pct > c.value : pct < c.value
    }
    case 'anomaly': {
      const z = zScore(v, band)
      if (z === undefined) return undefined
      const direction = c.direction ?? 'both'
      return direction === 'above' ? z > c.value : direction === 'below' ? z < -c.value : Math.abs(z) > c.value
    }
  }
}

export function zScore(v: number, band: Band | undefined): number | undefined {
  if (!band || band.n < minBandBuckets) return undefined
  // A perfectly flat history: any change at all is outside it, no change is inside.
  if (band.sd === 0) return v === band.mean ? 0 : Math.sign(v - band.mean) * Infinity
  return (v - band.mean) / band.sd
}

/**
 * crosses_* fire only after the value was seen on the other side of the level: a rule made
 * while the price is already above does not fire until it has been below.
 */
export const needsArming = (c: Condition) => c.op === 'crosses_above' || c.op === 'crosses_below'

/** The bucket a rule reads: anomaly compares closed buckets by default, the rest the open one. */
export const bucketOf = (c: Condition) => c.bucket ?? (c.op === 'anomaly' ? 'closed' : 'open')
