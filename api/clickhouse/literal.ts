// Renders `{name:Type}` query parameters into the SQL text as typed literals.
//
// Why: chDB runs parameterised queries one at a time per process (chdb-node chains every
// bound query behind the previous one, whatever its session), while queries without
// parameters run in parallel on separate sessions. The live path's few, tiny queries per
// tick would otherwise wait behind each other and behind every history query.
//
// The live channels and the query catalog (api/history/execute.ts) render their parameters
// here; each value is escaped and cast to its declared type, so a value can never end the
// literal it is in (api/history/injection.integration.test.ts runs hostile values through
// every catalog query). The analysts' SQL port keeps ClickHouse's own parameter binding.

type Value = string | number | boolean | null | Value[]

const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g
// Type names, with quoted time zones (`DateTime64(3, 'UTC')`): the types come from our SQL, never from a caller.
const simpleType = /^(?:[A-Za-z0-9_(), ]|'[A-Za-z0-9_/+-]+')+$/

/**
 * `'…'` with backslashes and quotes escaped (ClickHouse's string literal syntax), and control
 * characters as `\xHH`, so the SQL text holds no NUL, newline or other raw control byte.
 */
export function quoteString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`
}

function literal(v: Value, name: string): string {
  if (v === null) return 'NULL'
  if (typeof v === 'string') return quoteString(v)
  if (typeof v === 'boolean') return v ? '1' : '0'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`parameter ${name}: ${v} is not a finite number`)
    return String(v)
  }
  if (Array.isArray(v)) return `[${v.map((x) => literal(x, name)).join(', ')}]`
  throw new TypeError(`parameter ${name}: unsupported value of type ${typeof v}`)
}

/** `query` with every `{name:Type}` replaced by `CAST(<literal> AS Type)`; throws on a missing or odd value. */
export function inlineParams(query: string, params: Record<string, unknown>): string {
  return query.replace(placeholder, (_, name: string, type: string) => {
    if (!Object.hasOwn(params, name)) throw new TypeError(`parameter ${name} has no value`)
    if (!simpleType.test(type)) throw new TypeError(`parameter ${name}: unsupported type ${type}`)
    return `CAST(${literal(params[name] as Value, name)} AS ${type.trim()})`
  })
}
