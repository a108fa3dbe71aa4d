/** A small seeded PRNG (mulberry32) and the distributions the demo generator draws from. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number
  /** Uniform real in [min, max). */
  uniform(min: number, max: number): number
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** Standard normal (mean 0, standard deviation 1). */
  normal(): number
  /** Lowercase hex string of `length` characters. */
  hex(length: number): string
  shuffle<T>(items: readonly T[]): T[]
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed)
  let spareNormal: number | undefined
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    uniform: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    normal() {
      if (spareNormal !== undefined) {
        const z = spareNormal
        spareNormal = undefined
        return z
      }
      // Box–Muller; 1 - next() keeps the logarithm's argument in (0, 1].
      const r = Math.sqrt(-2 * Math.log(1 - next()))
      const theta = 2 * Math.PI * next()
      spareNormal = r * Math.sin(theta)
      return r * Math.cos(theta)
    },
    hex(length) {
      let s = ''
      while (s.length < length) s += Math.floor(next() * 0x100000000).toString(16).padStart(8, '0')
      return s.slice(0, length)
    },
    shuffle(items) {
      const out = items.slice()
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        ;[out[i], out[j]] = [out[j], out[i]]
      }
      return out
    },
  }
  return random
}

/** Rounds to at most `decimals` places; n / 10^d is the double nearest that decimal, so it prints cleanly. */
export function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(x * f) / f
}

/** Stable hash of a string to [0, 1), for attributes derived from an id instead of stored per id. */
export function hashUnit(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return (h >>> 0) / 4294967296
}

/** Precomputed cumulative weights for repeated draws from a fixed distribution: index drawn with probability proportional to its weight. */
export function createWeightedPicker(weights: readonly number[]): (u: number) => number {
  const cumulative: number[] = []
  let total = 0
  for (const w of weights) cumulative.push((total += w))
  return (u) => {
    const target = u * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid] > target) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}
