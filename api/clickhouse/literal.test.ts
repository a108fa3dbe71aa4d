import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createClickHouse } from './client.ts'
import { inlineParams, quoteString } from './literal.ts'

describe('inlineParams', () => {
  it('casts each value to its declared type', () => {
    expect(inlineParams('SELECT {s:String}, {n:Int64}, {xs:Array(String)}, {b:UInt8}', { s: 'AAPL', n: -5, xs: ['a', 'b'], b: true }))
      .toBe("SELECT CAST('AAPL' AS String), CAST(-5 AS Int64), CAST(['a', 'b'] AS Array(String)), CAST(1 AS UInt8)")
    expect(inlineParams('SELECT {xs:Array(String)}', { xs: [] })).toBe('SELECT CAST([] AS Array(String))')
    expect(inlineParams("SELECT {t:DateTime64(3, 'UTC')}", { t: '2025-01-01 00:00:00.000' })).toBe("SELECT CAST('2025-01-01 00:00:00.000' AS DateTime64(3, 'UTC'))")
  })

  it('writes control characters as escapes: no raw NUL or newline in the SQL text', () => {
    expect(quoteString('a\u0000b\nc\x7f')).toBe("'a\\x00b\\x0ac\\x7f'")
  })

  it('escapes quotes and backslashes so a value cannot end its literal', () => {
    expect(quoteString("it's")).toBe("'it\\'s'")
    expect(quoteString('a\\')).toBe("'a\\\\'")
    expect(quoteString("\\'; DROP TABLE trades; --")).toBe("'\\\\\\'; DROP TABLE trades; --'")
  })

  it('refuses missing values, non-finite numbers, objects and odd types', () => {
    expect(() => inlineParams('SELECT {a:String}', {})).toThrow(/a has no value/)
    expect(() => inlineParams('SELECT {a:Float64}', { a: Infinity })).toThrow(/finite/)
    expect(() => inlineParams('SELECT {a:Float64}', { a: Number.NaN })).toThrow(/finite/)
    expect(() => inlineParams('SELECT {a:String}', { a: { toString: () => 'x' } })).toThrow(/unsupported value/)
    expect(() => inlineParams("SELECT {a:String') --}", { a: 'x' })).toThrow(/unsupported type/)
    expect(() => inlineParams("SELECT {a:DateTime64(3, 'UTC'') --)}", { a: 'x' })).toThrow(/unsupported type/)
  })
})

describe('inlineParams against chDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'livehouse-literal-'))
  const ch = createClickHouse({ dataDir: dir }, 'queries')
  afterAll(async () => {
    await ch.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads every hostile string back exactly as it went in', async () => {
    const values = ["it's", 'back\\slash', "\\'", "'; DROP TABLE x; --", 'tab\tnew\nline', 'üñí€😀', '', "\\\\''", 'nul\u0000del\x7f\r', '\\x00']
    const query = inlineParams('SELECT {xs:Array(String)} AS xs, {one:String} AS one, {n:Int64} AS n', { xs: values, one: values[3], n: 2 ** 40 })
    const rs = await ch.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
    expect(await rs.json()).toEqual([{ xs: values, one: values[3], n: 2 ** 40 }])
  })
})
