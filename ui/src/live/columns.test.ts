import { describe, expect, it } from 'vitest'
import { absoluteTimes, deltaRows, newestTime } from './columns.ts'

describe('live columns', () => {
  it('adds the base to the time column only, in place and in the sent order', () => {
    const cols = [[0, 2000, 1000], [1, 2, 3]]
    expect(absoluteTimes(cols, 10_000, 0)).toBe(cols)
    expect(cols).toEqual([[10_000, 12_000, 11_000], [1, 2, 3]])
    const table = [['a', 'b'], [1, 2]]
    expect(absoluteTimes(table, 10_000, -1)).toEqual([['a', 'b'], [1, 2]])
    expect(absoluteTimes([], 10_000, 0)).toEqual([])
  })

  it('puts replaced rows before appended ones', () => {
    expect(deltaRows([[1], ['r']], [[2, 3], ['a', 'b']])).toEqual([[1, 2, 3], ['r', 'a', 'b']])
    const only = [[1], ['x']]
    expect(deltaRows(only, null)).toBe(only)
    expect(deltaRows(null, only)).toBe(only)
    expect(deltaRows(null, null)).toBeNull()
  })

  it('finds the newest time whatever the row order', () => {
    expect(newestTime([[5, 9, 7]], 0, 0)).toBe(9)
    expect(newestTime([[5, 9, 7]], 0, 12)).toBe(12)
    expect(newestTime([[5]], -1, 3)).toBe(3)
    expect(newestTime([], 0, 3)).toBe(3)
  })
})
