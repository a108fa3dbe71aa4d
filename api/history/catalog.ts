import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Role } from '../../core/roles.ts'
import { roles as allRoles } from '../../core/roles.ts'
import { createSourceGraph, type SourceGraph } from './sources.ts'

/**
 * The query catalog: one `api/queries/<name>.sql` per endpoint. Its `-- @` header
 * declares everything the gateway needs (description, roles, typed parameters with
 * defaults and limits, cache policy); the body is plain ClickHouse SQL whose
 * `{name:Type}` placeholders ClickHouse binds. Header grammar:
 *
 *   -- @description <text>
 *   -- @roles <role> [<role>…]                       (admin always passes)
 *   -- @param <name> <Type> [required] [default=<v>] [min=<v>] [max=<v>] [step=<v>] [values=a|b] : <doc>
 *   -- @cache bucket=<seconds|param> open_ttl=<s> closed_ttl=<s> [covers=range|range_and_previous|window|all]
 *
 * Types: String, Id, Symbol (entitled against the caller's symbols), Shop (entitled
 * against shops), DateTime (ISO-8601, epoch ms, `now`, `-1h`, `now-7d`), Interval
 * (`90s`, `5m`, `1h`, `1d` or seconds; bound as UInt32 seconds), UInt32, Enum.
 * `{all_symbols:UInt8}`/`{symbols:Array(String)}` and `{all_shops:UInt8}`/`{shops:Array(String)}`
 * in the SQL receive the caller's scope. `step` (Interval, UInt32) requires a whole multiple of it:
 * an interval over minute or hour rollups must be whole minutes or hours, or buckets come out wrong.
 * `covers` names the event times an answer depends on, so the cache key carries the data versions
 * of exactly those days (api/cache/versions.ts): `range` [from, to), `range_and_previous`
 * [from − (to − from), to), `window` [to − window, to), `all` (the default: every day).
 */
const paramTypes = ['String', 'Id', 'Symbol', 'Shop', 'DateTime', 'Interval', 'UInt32', 'Enum'] as const
export type ParamType = (typeof paramTypes)[number]

export interface ParamSpec {
  name: string
  type: ParamType
  required: boolean
  default?: string
  min?: number
  max?: number
  /** Values must be a whole multiple of this (seconds for an Interval). */
  step?: number
  values?: string[]
  description: string
}

export interface CachePolicy {
  /** Bucket width in seconds, or the name of an Interval parameter giving it. */
  bucket: number | string
  openTtlS: number
  closedTtlS: number
  /** The event times an answer depends on (see above). */
  covers: Covers
}

const coverKinds = ['range', 'range_and_previous', 'window', 'all'] as const
export type Covers = (typeof coverKinds)[number]

export interface CatalogQuery {
  name: string
  description: string
  roles: Role[]
  params: ParamSpec[]
  /** `params` with Intervals before DateTimes: the cache bucket may be an Interval, and relative times align to it. */
  resolveOrder: ParamSpec[]
  cache: CachePolicy
  sql: string
  /** Which caller scopes the SQL binds. */
  scopes: { symbols: boolean; shops: boolean }
  /** The versioned raw tables the answer depends on (api/history/sources.ts). */
  sources: string[]
}

const defaultQueriesDir = resolve(import.meta.dirname, '../queries')

export function loadCatalog(dir = defaultQueriesDir, graph: SourceGraph = createSourceGraph()): Map<string, CatalogQuery> {
  const files = readdirSync(dir).filter((f) => /^[a-z][a-z0-9_]*\.sql$/.test(f)).sort()
  return new Map(files.map((f) => {
    const q = parseQuery(f.slice(0, -4), readFileSync(join(dir, f), 'utf8'), graph)
    return [q.name, q]
  }))
}

function parseQuery(name: string, text: string, graph: SourceGraph): CatalogQuery {
  const fail = (msg: string): never => {
    throw new Error(`api/queries/${name}.sql: ${msg}`)
  }
  let description = ''
  let roles: Role[] = []
  const params: ParamSpec[] = []
  let cache: CachePolicy = { bucket: 60, openTtlS: 2, closedTtlS: 3600, covers: 'all' }
  for (const line of text.split('\n')) {
    const m = /^--\s*@(\w+)\s+(.*)$/.exec(line.trim())
    if (!m) continue
    const [, key, rest] = m
    if (key === 'description') description = rest.trim()
    else if (key === 'roles') {
      roles = rest.trim().split(/\s+/) as Role[]
      for (const r of roles) if (!(allRoles as readonly string[]).includes(r)) fail(`unknown role ${r}`)
    } else if (key === 'param') params.push(parseParam(rest, fail))
    else if (key === 'cache') {
      const kv = Object.fromEntries(rest.trim().split(/\s+/).map((p) => p.split('=') as [string, string]))
      const bucket = /^\d+$/.test(kv.bucket ?? '') ? Number(kv.bucket) : kv.bucket
      const covers = (kv.covers ?? 'all') as Covers
      if (!coverKinds.includes(covers)) fail(`unknown covers=${covers}`)
      cache = { bucket: bucket ?? 60, openTtlS: Number(kv.open_ttl ?? 2), closedTtlS: Number(kv.closed_ttl ?? 3600), covers }
      if (typeof cache.bucket === 'string' && !params.some((p) => p.name === cache.bucket && p.type === 'Interval')) fail(`cache bucket ${cache.bucket} is not an Interval parameter`)
    } else fail(`unknown header @${key}`)
  }
  if (!description) fail('missing @description')
  if (!roles.length) fail('missing @roles')
  const sql = text.split('\n').filter((l) => !/^\s*--\s*@/.test(l)).join('\n').trim()
  for (const p of params) if (!sql.includes(`{${p.name}:`)) fail(`parameter ${p.name} is not used in the SQL`)
  const has = (n: string, type: ParamType) => params.some((p) => p.name === n && p.type === type)
  const needs = { range: ['from', 'to'], range_and_previous: ['from', 'to'], window: ['to'], all: [] }[cache.covers]
  if (needs.some((n) => !has(n, 'DateTime')) || (cache.covers === 'window' && !has('window', 'Interval'))) fail(`covers=${cache.covers} needs its parameters (from, to, window)`)
  return {
    sources: graph.of(sql),
    name, description, roles, params, cache, sql,
    resolveOrder: [...params].sort((a, b) => Number(a.type === 'DateTime') - Number(b.type === 'DateTime')),
    scopes: { symbols: sql.includes('{symbols:'), shops: sql.includes('{shops:') },
  }
}

function parseParam(rest: string, fail: (m: string) => never): ParamSpec {
  const [decl, ...doc] = rest.split(' : ')
  const [name, type, ...opts] = decl.trim().split(/\s+/)
  if (!/^[a-z][a-z0-9_]*$/.test(name ?? '')) fail(`bad parameter name ${name}`)
  if (!(paramTypes as readonly string[]).includes(type)) fail(`parameter ${name}: unknown type ${type}`)
  const spec: ParamSpec = { name, type: type as ParamType, required: false, description: doc.join(' : ').trim() }
  for (const o of opts) {
    if (o === 'required') spec.required = true
    else if (o.startsWith('default=')) spec.default = o.slice(8)
    else if (o.startsWith('values=')) spec.values = o.slice(7).split('|')
    else if (o.startsWith('min=')) spec.min = type === 'Interval' ? parseInterval(o.slice(4)) : Number(o.slice(4))
    else if (o.startsWith('max=')) spec.max = type === 'Interval' ? parseInterval(o.slice(4)) : Number(o.slice(4))
    else if (o.startsWith('step=')) spec.step = type === 'Interval' ? parseInterval(o.slice(5)) : Number(o.slice(5))
    else fail(`parameter ${name}: unknown option ${o}`)
  }
  if (!spec.required && spec.default === undefined) fail(`parameter ${name}: needs a default or required`)
  if (spec.step !== undefined) {
    if (type !== 'Interval' && type !== 'UInt32') fail(`parameter ${name}: step needs an Interval or UInt32`)
    if (!Number.isSafeInteger(spec.step) || spec.step! <= 0) fail(`parameter ${name}: bad step`)
    const multiple = (v: string | number | undefined) => v === undefined || (typeof v === 'number' ? v : type === 'Interval' ? parseInterval(v) : Number(v)) % spec.step! === 0
    if (!multiple(spec.min) || !multiple(spec.default)) fail(`parameter ${name}: min and default must be multiples of step`)
  }
  return spec
}

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** Seconds in the largest unit that divides them: 60 → `1m`, 5400 → `90m`. */
export function formatInterval(seconds: number): string {
  const [unit, size] = Object.entries(units).reverse().find(([, n]) => seconds % n === 0) ?? ['s', 1]
  return `${seconds / size}${unit}`
}

/** `90s`, `5m`, `1h`, `1d`, `2w` or plain seconds → seconds; NaN when malformed. */
export function parseInterval(v: string): number {
  const m = /^(\d{1,7})([smhdw]?)$/.exec(v.trim())
  return m ? Number(m[1]) * (units[m[2] || 's'] ?? NaN) : NaN
}
