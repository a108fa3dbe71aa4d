import { describe, expect, it } from 'vitest'
import { SeriesBuffer } from './ring.ts'

/** Columns [t, v] for the given times, with v = t / 10. */
const rows = (...ts: number[]) => [ts, ts.map((t) => t / 10)]
const times = (b: SeriesBuffer) => [...b.column(0)]

describe('SeriesBuffer', () => {
  it('keeps times sorted when rows arrive out of order, and replaces a row with the same time', () => {
    const b = new SeriesBuffer(2, 10)
    b.upsert(rows(30, 10, 20))
    b.upsert(rows(15, 40))
    expect(times(b)).toEqual([10, 15, 20, 30, 40])
    b.upsert([[20], [99]])
    expect(times(b)).toEqual([10, 15, 20, 30, 40])
    expect([...b.column(1)]).toEqual([1, 1.5, 99, 3, 4])
    expect([b.first(0), b.last(0), b.length]).toEqual([10, 40, 5])
  })

  it('evicts the oldest rows beyond capacity and ignores rows older than a full window', () => {
    const b = new SeriesBuffer(2, 3)
    b.upsert(rows(1, 2, 3, 4, 5))
    expect(times(b)).toEqual([3, 4, 5])
    b.upsert(rows(2))
    expect(times(b)).toEqual([3, 4, 5])
    b.upsert(rows(3.5))
    expect(times(b)).toEqual([3.5, 4, 5])
  })

  it('compacts when the end of its storage is reached, keeping the newest rows in order', () => {
    const b = new SeriesBuffer(2, 4)
    for (let t = 1; t <= 50; t++) b.upsert(rows(t))
    expect(times(b)).toEqual([47, 48, 49, 50])
    expect([...b.column(1)]).toEqual([4.7, 4.8, 4.9, 5])
    b.upsert(rows(48.5)) // an insert right after a compaction
    expect(times(b)).toEqual([48, 48.5, 49, 50])
  })

  it('truncates from a time (a resumed snapshot replaces what follows) and clears', () => {
    const b = new SeriesBuffer(2, 10)
    b.upsert(rows(1, 2, 3, 4))
    b.truncateFrom(3)
    expect(times(b)).toEqual([1, 2])
    b.clear()
    expect(b.length).toBe(0)
    expect(b.last(0)).toBeNaN()
  })

  it('keeps the newest text of non-numeric columns and NaN in their place', () => {
    const b = new SeriesBuffer(2, 10)
    b.upsert([[1, 2], ['EUR', 'USD']])
    expect(b.text.get(1)).toBe('USD')
    expect([...b.column(1)]).toEqual([NaN, NaN])
  })
})
