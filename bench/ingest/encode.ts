// Validated rows (core/events.ts: decimals and timestamps as exact text) → the bytes of one
// INSERT body. The text formats pass every value as the text validation produced, so Decimal and
// DateTime64 stay exact by construction; RowBinary converts them to scaled integers (BigInt over
// the digits, never a float). bench/ingest/formats.ts measures them against each other.

export type InsertFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated' | 'RowBinary'

/**
 * A column's type as the encoders need it: `String`, `FixedString(n)`, `DateTime64(3)`,
 * `Decimal64(s)`, `UInt32`, `Enum8(a=1,b=2)`, each optionally `Nullable(…)`.
 */
export type ColumnTypes = Record<string, string>

type Value = string | number | null | undefined

const utf8 = new TextEncoder()

/** The body of one INSERT of `rows` (only `columns`, in that order, for the positional formats). */
export function encodeRows(format: InsertFormat, rows: readonly object[], columns: readonly string[], types: ColumnTypes): Buffer {
  switch (format) {
    case 'JSONEachRow':
      return Buffer.from(jsonEachRow(rows, columns))
    case 'JSONCompactEachRow':
      return Buffer.from(jsonCompact(rows, columns))
    case 'TabSeparated':
      return Buffer.from(tabSeparated(rows, columns))
    case 'RowBinary':
      return rowBinary(rows, columns, types)
  }
}

function jsonEachRow(rows: readonly object[], columns: readonly string[]): string {
  let out = ''
  for (const row of rows) {
    const r = row as Record<string, Value>
    let line = '{'
    for (let c = 0; c < columns.length; c++) {
      const v = r[columns[c]]
      if (v === undefined) continue
      line += `${line.length > 1 ? ',' : ''}"${columns[c]}":${JSON.stringify(v)}`
    }
    out += `${line}}\n`
  }
  return out
}

function jsonCompact(rows: readonly object[], columns: readonly string[]): string {
  let out = ''
  for (const row of rows) {
    const r = row as Record<string, Value>
    let line = '['
    for (let c = 0; c < columns.length; c++) line += `${c ? ',' : ''}${JSON.stringify(r[columns[c]] ?? null)}`
    out += `${line}]\n`
  }
  return out
}

// eslint-disable-next-line no-control-regex -- exactly the characters TSV escapes
const tsvSpecial = /[\\\t\n\r\u0000\u0008\u000c]/
const tsvEscapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\u0000': '\\0', '\b': '\\b', '\f': '\\f' }
// eslint-disable-next-line no-control-regex -- same set, global
const tsvSpecialAll = /[\\\t\n\r\u0000\u0008\u000c]/g

/** A TabSeparated field: `\N` for NULL, special characters backslash-escaped. */
export function tsvField(v: Value): string {
  if (v === null || v === undefined) return '\\N'
  const s = typeof v === 'string' ? v : String(v)
  return tsvSpecial.test(s) ? s.replace(tsvSpecialAll, (c) => tsvEscapes[c]) : s
}

function tabSeparated(rows: readonly object[], columns: readonly string[]): string {
  let out = ''
  for (const row of rows) {
    const r = row as Record<string, Value>
    let line = tsvField(r[columns[0]])
    for (let c = 1; c < columns.length; c++) line += `\t${tsvField(r[columns[c]])}`
    out += `${line}\n`
  }
  return out
}

/** 'YYYY-MM-DD hh:mm:ss.sss' (UTC) → epoch milliseconds. */
export function textTsToMs(ts: string): number {
  return Date.UTC(+ts.slice(0, 4), +ts.slice(5, 7) - 1, +ts.slice(8, 10), +ts.slice(11, 13), +ts.slice(14, 16), +ts.slice(17, 19), ts.length > 20 ? +ts.slice(20, 23).padEnd(3, '0') : 0)
}

/** Decimal text with at most `scale` fraction digits → the scaled integer, exactly. */
export function decimalToScaled(text: string, scale: number): bigint {
  const negative = text.startsWith('-')
  const body = negative ? text.slice(1) : text
  const dot = body.indexOf('.')
  const int = dot < 0 ? body : body.slice(0, dot)
  const frac = dot < 0 ? '' : body.slice(dot + 1)
  if (frac.length > scale) throw new RangeError(`${text} has more than ${scale} decimals`)
  const n = BigInt(int + frac.padEnd(scale, '0'))
  return negative ? -n : n
}

/** RowBinary: values back to back, strings as LEB128 length + bytes (clickhouse.com/docs/interfaces/formats/RowBinary). */
function rowBinary(rows: readonly object[], columns: readonly string[], types: ColumnTypes): Buffer {
  const writers = columns.map((c) => binaryWriter(types[c] ?? 'String'))
  let buf = Buffer.allocUnsafe(Math.max(1024, rows.length * 96))
  let at = 0
  const ensure = (n: number) => {
    if (at + n <= buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + n))
    buf.copy(bigger, 0, 0, at)
    buf = bigger
  }
  const out: BinaryOut = {
    u8(v) { ensure(1); buf[at++] = v },
    i64(v) { ensure(8); buf.writeBigInt64LE(v, at); at += 8 },
    u32(v) { ensure(4); buf.writeUInt32LE(v, at); at += 4 },
    bytes(b) { ensure(b.length); buf.set(b, at); at += b.length },
  }
  for (const row of rows) {
    const r = row as Record<string, Value>
    for (let c = 0; c < columns.length; c++) writers[c](out, r[columns[c]])
  }
  return buf.subarray(0, at)
}

interface BinaryOut {
  u8(v: number): void
  i64(v: bigint): void
  u32(v: number): void
  bytes(b: Uint8Array): void
}

type BinaryWriter = (out: BinaryOut, v: Value) => void

function binaryWriter(type: string): BinaryWriter {
  const nullable = /^Nullable\((.*)\)$/.exec(type)
  if (nullable) {
    const inner = binaryWriter(nullable[1])
    return (out, v) => {
      if (v === null || v === undefined) return out.u8(1)
      out.u8(0)
      inner(out, v)
    }
  }
  if (type === 'String') {
    return (out, v) => {
      const b = utf8.encode(String(v ?? ''))
      let n = b.length
      do {
        out.u8((n & 0x7f) | (n > 0x7f ? 0x80 : 0))
        n >>>= 7
      } while (n > 0)
      out.bytes(b)
    }
  }
  const fixed = /^FixedString\((\d+)\)$/.exec(type)
  if (fixed) {
    const n = Number(fixed[1])
    return (out, v) => {
      const b = new Uint8Array(n)
      b.set(utf8.encode(String(v ?? '')).subarray(0, n))
      out.bytes(b)
    }
  }
  if (type === 'DateTime64(3)') return (out, v) => out.i64(BigInt(textTsToMs(String(v))))
  const dec = /^Decimal64\((\d+)\)$/.exec(type)
  if (dec) {
    const scale = Number(dec[1])
    return (out, v) => out.i64(decimalToScaled(String(v), scale))
  }
  if (type === 'UInt32') return (out, v) => out.u32(Number(v))
  const enumType = /^Enum8\((.*)\)$/.exec(type)
  if (enumType) {
    const codes = new Map(enumType[1].split(',').map((p) => p.split('=')).map(([k, n]) => [k.trim(), Number(n)]))
    return (out, v) => {
      const code = codes.get(String(v))
      if (code === undefined) throw new RangeError(`${String(v)} is not a value of ${type}`)
      out.u8(code & 0xff)
    }
  }
  throw new TypeError(`no RowBinary writer for ${type}`)
}
