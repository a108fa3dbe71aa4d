import { describe, expect, it } from 'vitest'
import { chTime, freshnessLevel, numericType, timeType } from './format.ts'

describe('format', () => {
  it('reads ClickHouse Date and DateTime text as UTC unless it carries an offset', () => {
    expect(chTime('2024-01-01')).toBe(Date.UTC(2024, 0, 1))
    expect(chTime('2024-01-01 10:00:00')).toBe(Date.UTC(2024, 0, 1, 10))
    expect(chTime('2024-01-01 10:00:00.123')).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, 123))
    expect(chTime('2024-01-01T10:00:00Z')).toBe(Date.UTC(2024, 0, 1, 10))
    expect(chTime('2024-01-01 12:00:00+02:00')).toBe(Date.UTC(2024, 0, 1, 10))
  })

  it('tells numeric and time column types apart', () => {
    for (const t of ['UInt64', 'Int32', 'Float64', 'Decimal(18, 2)', 'Nullable(Float64)']) expect(numericType.test(t)).toBe(true)
    for (const t of ['String', 'DateTime', 'LowCardinality(String)']) expect(numericType.test(t)).toBe(false)
    for (const t of ['Date', 'DateTime', "DateTime64(3, 'UTC')", 'Nullable(DateTime)']) expect(timeType.test(t)).toBe(true)
    expect(timeType.test('UInt32')).toBe(false)
  })

  it('calls data late after 2 s and stale after 10 s', () => {
    expect([0, 2000, 2001, 10_000, 10_001].map(freshnessLevel)).toEqual(['fresh', 'fresh', 'late', 'late', 'stale'])
  })
})
