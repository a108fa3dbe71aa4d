import { describe, expect, it } from 'vitest'
import { createLineSplitter, parseLine, quoteBigIntegers } from './stream.ts'

describe('JSONCompactEachRowWithProgress reader', () => {
  it('reads meta, rows, progress, totals and exceptions, whatever the line kind', () => {
    expect(parseLine('{"meta":[{"name":"n","type":"UInt64"}]}')).toEqual({ kind: 'meta', columns: [{ name: 'n', type: 'UInt64' }] })
    expect(parseLine('{"row":["18446744073709551615", null, [1,2]]}')).toEqual({ kind: 'row', row: ['18446744073709551615', null, [1, 2]] })
    expect(parseLine('{"progress":{"read_rows":"3","read_bytes":"24","total_rows_to_read":"3","elapsed_ns":"415213"}}'))
      .toEqual({ kind: 'progress', progress: { readRows: 3, readBytes: 24, totalRowsToRead: 3, elapsedNs: 415213 } })
    expect(parseLine('{"totals":[10]}')).toEqual({ kind: 'totals', row: [10] })
    expect(parseLine('{"exception":"Code: 159. DB::Exception: Timeout exceeded"}')).toEqual({ kind: 'exception', message: 'Code: 159. DB::Exception: Timeout exceeded' })
    expect(parseLine('{"rows_before_limit_at_least":42}')).toEqual({ kind: 'rows_before_limit', rows: 42 })
    expect(parseLine('{"min":[1]}')).toBeUndefined()
  })

  it('takes a line that is not JSON for an exception appended after the status line', () => {
    expect(parseLine('Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)\n')).toEqual({ kind: 'exception', message: 'Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)' })
  })

  it('joins lines split across chunks and keeps an unterminated last line for the end', () => {
    const lines: string[] = []
    const s = createLineSplitter((l) => lines.push(l))
    s.push('{"row":[1]}\n{"ro')
    s.push('w":[2]}\n\n{"row"')
    expect(lines).toEqual(['{"row":[1]}', '{"row":[2]}'])
    s.push(':[3]}')
    s.end()
    expect(lines).toEqual(['{"row":[1]}', '{"row":[2]}', '{"row":[3]}'])
  })

  it('keeps integers beyond 2^53 exact (as text), and leaves strings, floats and small numbers alone', () => {
    expect(parseLine('{"row":[18446744073709551615, -9223372036854775808, 9007199254740991, 12345678901234567.5, 1.2345678901234567e300, "id 18446744073709551615", "a\\"18446744073709551615"]}'))
      .toEqual({ kind: 'row', row: ['18446744073709551615', '-9223372036854775808', 9007199254740991, 12345678901234567.5, 1.2345678901234567e300, 'id 18446744073709551615', 'a"18446744073709551615'] })
    expect(quoteBigIntegers('{"row":[1, 2]}')).toBe('{"row":[1, 2]}')
  })
})
