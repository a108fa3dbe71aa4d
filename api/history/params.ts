import { createHash } from 'node:crypto'
import type { Principal } from '../../core/roles.ts'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'
import { formatInterval, parseInterval, type CatalogQuery, type Covers, type ParamSpec } from './catalog.ts'
import { identifiers } from '../../core/identifiers.ts'

/** Query string keys that steer the response, not the query. */
const reservedParams = new Set(['format'])

export interface ResolvedCall {
  /** Values for ClickHouse's `{name:Type}` binding, scopes included. */
  bound: Record<string, unknown>
  /** Cache key: query name, normalised parameters, the caller's scope and (if open) the open bucket. */
  key: string
  ttlS: number
  /** The same input gives the same call while the clock is in [validFromMs, validUntilMs). */
  validFromMs: number
  validUntilMs: number
  /** Event times [from, to) in ms the answer depends on (`@cache covers`); undefined: all time. */
  covers?: [number, number]
  /** The range ends before the open bucket: cached for closed_ttl, so its key needs the data versions. */
  closed: boolean
}

/** The identifier types take exactly what ingestion accepts (core/identifiers.ts). */
const patterns: Partial<Record<ParamSpec['type'], RegExp>> = {
  Symbol: identifiers.symbol.pattern,
  Id: identifiers.product.pattern,
  Shop: identifiers.shop.pattern,
}

const bad = (name: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError(400, 'INVALID_PARAMETER', `${name}: ${message}`, { details: { param: name, ...details } })

/**
 * Checks and normalises one call's parameters against the catalog entry: types,
 * limits, entitlements (403 for a symbol or shop outside the caller's scope), and
 * relative times aligned to the cache bucket so a key is stable within a bucket.
 */
export function resolveCall(q: CatalogQuery, input: Record<string, string>, principal: Principal, nowMs: number): ResolvedCall {
  for (const k of Object.keys(input)) {
    if (!reservedParams.has(k) && !q.params.some((p) => p.name === k)) throw bad(k, `unknown parameter of ${q.name}`)
  }
  const bound: Record<string, unknown> = {}
  const normal: Record<string, string | number> = {}
  let bucketS = typeof q.cache.bucket === 'number' ? q.cache.bucket : 60
  let validFromMs = -Infinity
  let validUntilMs = Infinity
  for (const p of q.resolveOrder) {
    const raw = input[p.name] ?? p.default
    if (raw === undefined) throw bad(p.name, 'is required')
    if (raw.length > 256) throw bad(p.name, 'is too long')
    if (p.type === 'DateTime') {
      const ms = parseTime(raw, nowMs, bucketS)
      if (ms === undefined) throw bad(p.name, 'expected ISO-8601, epoch milliseconds, now or a relative time like -1h, between 1970 and 2100')
      bound[p.name] = formatTime(ms)
      normal[p.name] = ms
      // A relative time stays put while the clock stays in one bucket (shifted by its offset).
      const window = relativeWindow(raw, ms, bucketS * 1000)
      if (window) (validFromMs = Math.max(validFromMs, window[0])), (validUntilMs = Math.min(validUntilMs, window[1]))
      continue
    }
    const value = checkValue(p, raw)
    bound[p.name] = value
    normal[p.name] = value
    if (p.name === q.cache.bucket) bucketS = value as number
  }
  addScope(q, bound, principal)
  const openStartMs = Math.floor(nowMs / (bucketS * 1000)) * bucketS * 1000
  const to = normal.to
  const touchesOpen = typeof to !== 'number' || to > openStartMs
  const scope = { symbols: q.scopes.symbols ? scopeKey(principal.symbols) : undefined, shops: q.scopes.shops ? scopeKey(principal.shops) : undefined }
  const identity = JSON.stringify([normal, scope, touchesOpen ? openStartMs : 'closed'])
  const key = `lh:q:${q.name}:${createHash('sha1').update(identity).digest('base64url')}`
  return {
    bound, key, ttlS: touchesOpen ? q.cache.openTtlS : q.cache.closedTtlS, covers: coveredRange(q.cache.covers, normal), closed: !touchesOpen,
    validFromMs: Math.max(validFromMs, openStartMs), validUntilMs: Math.min(validUntilMs, openStartMs + bucketS * 1000),
  }
}

/** The event times an answer depends on, from the normalised parameters (see CachePolicy.covers). */
function coveredRange(covers: Covers, v: Record<string, string | number>): [number, number] | undefined {
  const [from, to, windowS] = [Number(v.from), Number(v.to), Number(v.window)]
  if (covers === 'range') return [from, to]
  if (covers === 'range_and_previous') return [from - Math.max(0, to - from), to]
  if (covers === 'window') return [to - windowS * 1000, to]
  return undefined
}

function checkValue(p: ParamSpec, raw: string): string | number {
  switch (p.type) {
    case 'UInt32':
    case 'Interval': {
      const n = p.type === 'Interval' ? parseInterval(raw) : /^\d{1,10}$/.test(raw) ? Number(raw) : NaN
      if (!Number.isSafeInteger(n)) throw bad(p.name, p.type === 'Interval' ? 'expected an interval like 30s, 5m, 1h, 1d' : 'expected a whole number')
      if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) throw bad(p.name, `must be within [${p.min}, ${p.max}]`)
      if (p.step !== undefined && n % p.step !== 0) {
        const step = p.type === 'Interval' ? formatInterval(p.step) : String(p.step)
        throw bad(p.name, `must be a whole multiple of ${step}`, { step })
      }
      return n
    }
    case 'Enum':
      if (!p.values!.includes(raw)) throw bad(p.name, `expected one of ${p.values!.join(', ')}`)
      return raw
    case 'String':
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f]/.test(raw)) throw bad(p.name, 'control characters are not allowed')
      return raw
    default:
      if (raw !== '' && !patterns[p.type]!.test(raw)) throw bad(p.name, `is not a valid ${p.type}`)
      return raw
  }
}

/** Entitlements (api/access.ts): an explicitly requested symbol or shop must be in scope; the SQL filters the rest. */
function addScope(q: CatalogQuery, bound: Record<string, unknown>, principal: Principal) {
  access.enforce(access.query(principal, q, bound))
  if (q.scopes.symbols) Object.assign(bound, scopeParams('symbols', principal.symbols))
  if (q.scopes.shops) Object.assign(bound, scopeParams('shops', principal.shops))
}

const scopeParams = (name: string, scope: '*' | ReadonlySet<string>) =>
  ({ [`all_${name}`]: scope === '*' ? 1 : 0, [name]: scope === '*' ? [] : [...scope].sort() })

const scopeKey = (scope: '*' | ReadonlySet<string>) => (scope === '*' ? '*' : [...scope].sort().join(','))

const relative = /^(?:now)?(?:-(\d{1,6})([smhdw]))?$/

/** For a relative time resolved to `ms`: the clock range over which it resolves the same. */
function relativeWindow(raw: string, ms: number, bucketMs: number): [number, number] | undefined {
  const rel = raw === '' ? null : relative.exec(raw)
  if (!rel) return undefined
  if (!rel[1]) return [ms - bucketMs, ms]
  const offsetMs = parseInterval(rel[1] + rel[2]) * 1000
  return [ms + offsetMs, ms + offsetMs + bucketMs]
}

/** Milliseconds since the epoch; `now` is the end of the open bucket, `-1h` the start of its bucket. */
function parseTime(raw: string, nowMs: number, bucketS: number): number | undefined {
  const bucketMs = bucketS * 1000
  const rel = raw === '' ? null : relative.exec(raw)
  let ms: number
  if (rel) {
    ms = !rel[1] ? Math.floor(nowMs / bucketMs) * bucketMs + bucketMs : Math.floor((nowMs - parseInterval(rel[1] + rel[2]) * 1000) / bucketMs) * bucketMs
  } else {
    ms = /^\d{1,13}$/.test(raw) ? Number(raw) : /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(raw) ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) || raw.length === 10 ? raw : `${raw}Z`) : NaN
  }
  // Relative times too: `now-999999w` lands before 1970, which ClickHouse refuses (a 502, not the caller's 400).
  return Number.isFinite(ms) && ms >= 0 && ms <= maxTimeMs ? ms : undefined
}

/** 2100-01-01T00:00:00Z: the latest time a DateTime parameter takes. */
const maxTimeMs = 4102444800000

/** DateTime64(3, 'UTC') text for ClickHouse parameter binding and inserts. */
export const formatTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

/** ISO-8601 of DateTime64(3, 'UTC') text as ClickHouse returns it: formatTime's inverse. */
export const isoFromClickHouse = (text: string) => `${text.replace(' ', 'T')}Z`
