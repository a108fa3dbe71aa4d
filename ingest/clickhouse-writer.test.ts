import { describe, expect, it } from 'vitest'
import { compactRows } from './clickhouse-writer.ts'

describe('compactRows (INSERTs as JSONCompactEachRow)', () => {
  const trade = (id: string) => ({ id, ts: '2026-12-05 01:02:03.004', symbol: 'ABC', price: '0.12345679', qty: 2, side: 'buy', venue: '' })

  it('turns rows of one shape into one column list and value arrays, values untouched', () => {
    expect(compactRows([trade('a'), trade('b')])).toEqual({
      columns: ['id', 'ts', 'symbol', 'price', 'qty', 'side', 'venue'],
      values: [
        ['a', '2026-12-05 01:02:03.004', 'ABC', '0.12345679', 2, 'buy', ''],
        ['b', '2026-12-05 01:02:03.004', 'ABC', '0.12345679', 2, 'buy', ''],
      ],
    })
  })

  it('keeps null (a Nullable column) as null', () => {
    expect(compactRows([{ a: 1, b: null }])?.values).toEqual([[1, null]])
  })

  it('refuses rows whose keys differ, so a missing key still takes the column default (JSONEachRow)', () => {
    expect(compactRows([trade('a'), { ...trade('b'), ingest_key: 'k' }])).toBeUndefined()
    expect(compactRows([{ ...trade('a'), ingest_key: 'k' }, trade('b')])).toBeUndefined()
    const { venue: _v, ...noVenue } = trade('c')
    expect(compactRows([trade('a'), noVenue])).toBeUndefined()
  })

  it('refuses keys in another order, undefined values and names that are not plain identifiers', () => {
    expect(compactRows([{ a: 1, b: 2 }, { b: 2, a: 1 }])).toBeUndefined()
    expect(compactRows([{ a: 1, b: undefined }])).toBeUndefined()
    expect(compactRows([{ 'a b': 1 }])).toBeUndefined()
    expect(compactRows([{}])).toBeUndefined()
    expect(compactRows([])).toBeUndefined()
  })
})
