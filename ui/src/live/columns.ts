// Column blocks of SNAPSHOT and DELTA frames made ready for the page (docs/protocol.md):
// absolute times, one block per delta. The gateway sends rows oldest first and
// SeriesBuffer places any out-of-order row itself, so nothing here sorts or copies rows.
import type { Cell, Columns } from '../../../api/protocol/index.ts'

/** Turns the time column's offsets into epoch ms (`t = base + offset`), in place. */
export function absoluteTimes(cols: Columns, base: number, time: number): Cell[][] {
  const ts = time >= 0 ? cols[time] : undefined
  if (ts) for (let r = 0; r < ts.length; r++) ts[r] = base + (ts[r] as number)
  return cols
}

/** A delta's upserts as one block: `replace` (changed, older rows) then `append` (new buckets). */
export function deltaRows(replace: Columns | null, append: Columns | null): Columns | null {
  if (replace && append) return replace.map((c, i) => c.concat(append[i]))
  return replace ?? append
}

/** The newest time in `cols` or `prev`, whichever is later. */
export function newestTime(cols: Cell[][], time: number, prev: number): number {
  let t = prev
  if (time >= 0) for (const v of cols[time] ?? []) if ((v as number) > t) t = v as number
  return t
}
