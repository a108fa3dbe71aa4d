// Renders `{name:Type}` query parameters into the SQL text as typed literals.
//
// Why: chDB runs parameterised queries one at a time per process (chdb-node chains every
// bound query behind the previous one, whatever its session), while queries without
// parameters run in parallel on separate sessions. The live path's few, tiny queries per
// tick would otherwise wait behind each other and behind every history query.
//
// Only for values the caller has already validated (the live channels' zod schemas);
// each value is still escaped and cast to its declared type, so a value can never end
// the literal it is in. User-facing SQL keeps ClickHouse's own parameter binding.

type Value = string | number | boolean | null | Value[]

const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g
const simpleType = /^[A-Za-z0-9_(), ]+$/

/** `'…'` with backslashes and quotes escaped: ClickHouse's string literal syntax. */
export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
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
