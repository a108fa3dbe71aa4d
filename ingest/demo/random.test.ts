import { describe, it, expect } from 'vitest'
import { createRandom, createWeightedPicker, hashUnit, mulberry32, roundTo } from './random.ts'

describe('random', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = mulberry32(7)
    const b = mulberry32(7)
    const c = mulberry32(8)
    const seqA = Array.from({ length: 5 }, a)
    expect(Array.from({ length: 5 }, b)).toEqual(seqA)
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA)
  })

  it('keeps draws in range', () => {
    const random = createRandom(1)
    for (let i = 0; i < 10_000; i++) {
      const u = random.next()
      expect(u >= 0 && u < 1).toBe(true)
      const n = random.int(3, 5)
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true)
    }
    expect(random.hex(13)).toMatch(/^[0-9a-f]{13}$/)
  })

  it('draws normals with mean ≈ 0 and variance ≈ 1', () => {
    const random = createRandom(2)
    const xs = Array.from({ length: 50_000 }, () => random.normal())
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length
    expect(Math.abs(mean)).toBeLessThan(0.02)
    expect(Math.abs(variance - 1)).toBeLessThan(0.03)
  })

  it('draws by weight', () => {
    const random = createRandom(3)
    const counts = [0, 0, 0]
    const pick = createWeightedPicker([1, 2, 0])
    for (let i = 0; i < 30_000; i++) counts[pick(random.next())]++
    expect(counts[2]).toBe(0)
    expect(counts[1] / counts[0]).toBeGreaterThan(1.8)
    expect(counts[1] / counts[0]).toBeLessThan(2.2)
  })

  it('rounds to decimals that print cleanly and hashes stably', () => {
    expect(String(roundTo(1.0850000001, 5))).toBe('1.085')
    expect(String(roundTo(0.1 + 0.2, 2))).toBe('0.3')
    expect(hashUnit('cust-1-1')).toBe(hashUnit('cust-1-1'))
    expect(hashUnit('a')).not.toBe(hashUnit('b'))
  })
})
