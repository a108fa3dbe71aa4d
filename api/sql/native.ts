import { sqlError } from './errors.ts'

/**
 * ClickHouse's HTTP interface writes Native output in the protocol revision the client names
 * (`client_protocol_version`): block info before each block from revision 1 on, and a
 * "custom serialization" byte after each column's type from revision 54454 on. chDB writes
 * revision 0 whatever it is asked, and clickhouse-go then reads a malformed block. This
 * rewrites chDB's blocks into the asked revision, walking each column's data by its type.
 */
export const customSerializationRevision = 54454

/** A stream transformer: feed chDB's Native bytes, get the client's revision's bytes (whole blocks). */
export function createNativeUpgrader(revision: number) {
  let pending = Buffer.alloc(0)
  return {
    push(chunk: Uint8Array): Uint8Array[] {
      pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk)
      const out: Uint8Array[] = []
      for (;;) {
        const block = tryBlock(pending, revision)
        if (!block) break
        out.push(block.bytes)
        pending = pending.subarray(block.consumed)
      }
      return out
    },
    end() {
      if (pending.length) throw sqlError('UNKNOWN_EXCEPTION', 'Native output ended inside a block')
    },
  }
}

class Short extends Error {}

class Reader {
  pos = 0
  constructor(readonly buf: Buffer) {}
  need(n: number) {
    if (this.pos + n > this.buf.length) throw new Short()
  }
  varUInt(): number {
    let result = 0
    let shift = 0
    for (;;) {
      this.need(1)
      const b = this.buf[this.pos++]
      result += (b & 0x7f) * 2 ** shift
      if (!(b & 0x80)) return result
      shift += 7
      if (shift > 63) throw sqlError('UNKNOWN_EXCEPTION', 'Bad varint in Native output')
    }
  }
  skip(n: number) {
    this.need(n)
    this.pos += n
  }
  string(): string {
    const n = this.varUInt()
    this.need(n)
    const s = this.buf.toString('utf8', this.pos, this.pos + n)
    this.pos += n
    return s
  }
  uint64(): number {
    this.need(8)
    const v = Number(this.buf.readBigUInt64LE(this.pos))
    this.pos += 8
    return v
  }
}

// Field 1 (is_overflows = false), field 2 (bucket_num = -1), end: what a server writes for a plain result.
const blockInfo = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00])

function tryBlock(buf: Buffer, revision: number): { bytes: Buffer; consumed: number } | undefined {
  if (!buf.length) return undefined
  const r = new Reader(buf)
  try {
    const parts: Buffer[] = revision > 0 ? [blockInfo] : []
    const columns = r.varUInt()
    const rows = r.varUInt()
    let from = 0
    for (let i = 0; i < columns; i++) {
      r.string()
      const type = r.string()
      if (revision >= customSerializationRevision) {
        parts.push(buf.subarray(from, r.pos), Buffer.from([0]))
        from = r.pos
      }
      if (rows) skipColumn(r, parseType(type), rows)
    }
    parts.push(buf.subarray(from, r.pos))
    return { bytes: Buffer.concat(parts), consumed: r.pos }
  } catch (e) {
    if (e instanceof Short) return undefined
    throw e
  }
}

interface Type {
  name: string
  args: string[]
}

/** `Array(Nullable(String))` → { name: 'Array', args: ['Nullable(String)'] }; named tuple elements lose their names. */
export function parseType(text: string): Type {
  const t = text.trim()
  const open = t.indexOf('(')
  if (open < 0 || !t.endsWith(')')) return { name: t, args: [] }
  const args: string[] = []
  let depth = 0
  let quote = false
  let start = open + 1
  for (let i = start; i < t.length - 1; i++) {
    const c = t[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === "'") quote = false
    } else if (c === "'") quote = true
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ',' && depth === 0) {
      args.push(t.slice(start, i).trim())
      start = i + 1
    }
  }
  args.push(t.slice(start, t.length - 1).trim())
  return { name: t.slice(0, open), args }
}

const fixed: Record<string, number> = {
  UInt8: 1, Int8: 1, Bool: 1, Enum8: 1, UInt16: 2, Int16: 2, Date: 2, Enum16: 2, BFloat16: 2,
  UInt32: 4, Int32: 4, Float32: 4, DateTime: 4, Date32: 4, IPv4: 4, Decimal32: 4, Time: 4,
  UInt64: 8, Int64: 8, Float64: 8, DateTime64: 8, Decimal64: 8, Time64: 8,
  UInt128: 16, Int128: 16, Decimal128: 16, UUID: 16, IPv6: 16, UInt256: 32, Int256: 32, Decimal256: 32,
}

function fixedSize(t: Type): number | undefined {
  if (t.name === 'Decimal') {
    const p = Number(t.args[0])
    return p <= 9 ? 4 : p <= 18 ? 8 : p <= 38 ? 16 : 32
  }
  if (t.name.startsWith('Interval')) return 8
  return fixed[t.name]
}

/** Element type of a tuple argument: `a UInt8` → `UInt8` (a type never has a space before its first paren). */
function tupleElement(arg: string): Type {
  const m = /^[A-Za-z_][\w]*\s+(.+)$/s.exec(arg)
  if (m && !/^[A-Za-z_]\w*\(/.test(arg)) return parseType(m[1])
  return parseType(arg)
}

function skipColumn(r: Reader, t: Type, rows: number): void {
  const size = fixedSize(t)
  if (size !== undefined) return r.skip(size * rows)
  switch (t.name) {
    case 'String':
      for (let i = 0; i < rows; i++) r.skip(r.varUInt())
      return
    case 'FixedString':
      return r.skip(Number(t.args[0]) * rows)
    case 'Nullable':
      r.skip(rows)
      return skipColumn(r, parseType(t.args[0]), rows)
    case 'Array':
    case 'Map': {
      let last = 0
      for (let i = 0; i < rows; i++) last = r.uint64()
      const element = t.name === 'Array' ? parseType(t.args[0]) : { name: 'Tuple', args: t.args }
      if (last) skipColumn(r, element, last)
      return
    }
    case 'Tuple':
      for (const a of t.args) skipColumn(r, tupleElement(a), rows)
      return
    case 'LowCardinality':
      return skipLowCardinality(r, parseType(t.args[0]))
    case 'SimpleAggregateFunction':
      return skipColumn(r, parseType(t.args[t.args.length - 1]), rows)
    case 'Nothing':
      return r.skip(rows)
  }
  throw sqlError('NOT_IMPLEMENTED', `Native output of type ${t.name} for a client_protocol_version client is not supported by the analyst port: select it as another type, or use RowBinary`)
}

function skipLowCardinality(r: Reader, inner: Type) {
  r.uint64() // keys serialization version
  const flags = r.uint64()
  const keys = r.uint64()
  const keyType = inner.name === 'Nullable' ? parseType(inner.args[0]) : inner
  if (keys) skipColumn(r, keyType, keys)
  const indexes = r.uint64()
  r.skip(indexes * [1, 2, 4, 8][flags & 0xff])
}
