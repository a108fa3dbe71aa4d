import { describe, expect, it, vi } from 'vitest'
import { redrawAtBucketEnds, splitOpenBucket } from './open-bucket.ts'

const m = 60_000
describe('the open bucket of a live series', () => {
  it('is split off the complete buckets and joined to the last complete one', () => {
    const x = Float64Array.from([0, m, 2 * m])
    const s = splitOpenBucket(x, [Float64Array.from([10, 20, 3])], m, 2 * m + 5_000)
    expect(s.data.slice(1)).toEqual([[10, 20, null], [null, 20, 3]])
    expect([s.openT, s.lastClosedT]).toEqual([2 * m, m])
  })

  it('leaves a series whose newest bucket has ended alone', () => {
    const s = splitOpenBucket([0, m], [[1, 2], [5, 6]], m, 2 * m)
    expect(s.data.slice(1)).toEqual([[1, 2], [null, null], [5, 6], [null, null]])
    expect([s.openT, s.lastClosedT]).toEqual([undefined, m])
  })

  it('a series that is only the open bucket has nothing complete', () => {
    const s = splitOpenBucket([5 * m], [[7]], m, 5 * m + 1)
    expect(s.data.slice(1)).toEqual([[null], [7]])
    expect([s.openT, s.lastClosedT]).toEqual([5 * m, undefined])
    expect(splitOpenBucket([], [[]], m, 0)).toEqual({ data: [[], [], []], openT: undefined, lastClosedT: undefined })
  })
})

describe('redraws at bucket ends', () => {
  it('redraws once the open bucket has ended even without new data, and stops when unsubscribed', async () => {
    vi.useFakeTimers()
    try {
      let now = 10 * m + 59_000
      const redraws: number[] = []
      const off = redrawAtBucketEnds(() => () => {}, m, () => now)(() => redraws.push(now))
      now += 1050
      await vi.advanceTimersByTimeAsync(1050)
      expect(redraws).toEqual([11 * m + 50])
      now += m
      await vi.advanceTimersByTimeAsync(m)
      expect(redraws).toHaveLength(2)
      off()
      await vi.advanceTimersByTimeAsync(3 * m)
      expect(redraws).toHaveLength(2)
    } finally {
      vi.useRealTimers()
    }
  })
})
