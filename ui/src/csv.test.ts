import { describe, expect, it } from 'vitest'
import { toCsv as catalogCsv } from '../../api/history/formats.ts'
import { toCsv } from './csv.ts'

describe('UI CSV export', () => {
  it('escapes formula-like cells the same way as the catalog CSV, and leaves negative numbers alone', () => {
    const header = ['Product', 'Category', 'Revenue']
    const rows = [['=HYPERLINK("http://evil.example","x")', '@cat', -12.5], ['p-1', '+tab', '7'], ['-x', '\tt', null]]
    const csv = toCsv(header, rows)
    expect(csv).toBe(`Product,Category,Revenue\r\n"'=HYPERLINK(""http://evil.example"",""x"")",'@cat,-12.5\r\np-1,'+tab,7\r\n'-x,'\tt,\r\n`)
    // One implementation: the catalog's CSV of the same cells is byte for byte the same.
    const same = catalogCsv({ query: 'q', columns: header.map((name) => ({ name, type: 'String' })), rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) })
    expect(same).toBe(csv)
  })
})
