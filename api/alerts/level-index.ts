// Level rules (>, <, crosses) of one column, sorted by threshold: when a value moves from a
// to b, only the rules whose threshold lies between them can change their answer, so a tick
// evaluates those, found by binary search, instead of every rule on the channel.

export class LevelIndex<T> {
  private readonly levels: number[] = []
  private readonly items: T[] = []

  get size() {
    return this.items.length
  }

  /** After the items of an equal level: those of one level stay in the order they came. */
  add(level: number, item: T) {
    const i = this.firstAtOrAbove(level, true)
    this.levels.splice(i, 0, level)
    this.items.splice(i, 0, item)
  }

  remove(item: T) {
    const i = this.items.indexOf(item)
    if (i < 0) return
    this.levels.splice(i, 1)
    this.items.splice(i, 1)
  }

  /** Every item whose level is in [min(a, b), max(a, b)] (both ends: >= and > differ there). */
  between(a: number, b: number, fn: (item: T) => void) {
    const lo = Math.min(a, b)
    const hi = Math.max(a, b)
    for (let i = this.firstAtOrAbove(lo); i < this.levels.length && this.levels[i] <= hi; i++) fn(this.items[i])
  }

  all(fn: (item: T) => void) {
    for (const item of this.items) fn(item)
  }

  private firstAtOrAbove(level: number, strictlyAbove = false): number {
    let lo = 0
    let hi = this.levels.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.levels[mid] < level || (strictlyAbove && this.levels[mid] === level)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
