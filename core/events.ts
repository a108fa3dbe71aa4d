/**
 * Per-line validation of the three event streams (docs/events.md).
 * Hand-written rather than zod: this runs for every event at 100k+ events/s and
 * must name the exact field and reason. A valid line becomes a raw-table row.
 */
export const streams = ['trades', 'orders', 'web_events'] as const
export type Stream = (typeof streams)[number]
export const isStream = (s: string): s is Stream => (streams as readonly string[]).includes(s)

import { exactText, isDecimalText, powerOfTen, scaledText, toScaled } from './decimal.ts'
import { identifiers, type IdentifierKind } from './identifiers.ts'

export type Row = Record<string, string | number | null>
type Obj = Record<string, unknown>

/**
 * Why a line was rejected; thrown inside a validator and returned by `validateEvent`.
 * Not an Error: a rejected line is an answer, not a fault, and capturing a stack per bad line is waste.
 */
export class Reject {
  constructor(readonly code: string, readonly message: string) {}
}

const currencyRe = /^[A-Z]{3}$/
const countryRe = /^[A-Z]{2}$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const controlCharRe = /[\u0000-\u001f\u007f]/
// Date, optional time (seconds and up to 9 fraction digits optional), optional zone; no zone = UTC.
const isoTsRe = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|([+-])(\d{2}):?(\d{2}))?$/
const maxTsMs = Date.UTC(2100, 0, 1)
const dayMs = 86_400_000
/** Numbers below this are not epoch milliseconds of a real event (1973-03-03): almost always epoch seconds. */
const minEpochMs = 1e11

/**
 * How long ClickHouse keeps each raw table (the TTL in clickhouse/schema/001_create_raw_tables.sql;
 * a test compares them). Events are accepted up to one day less old, so an accepted event is never
 * expired on its way in; older ones are refused with OUT_OF_RETENTION instead of vanishing.
 */
export const retentionDays: Record<Stream, number | undefined> = { trades: 365, orders: undefined, web_events: 365 }

/** The oldest `ts` (epoch ms) a stream accepts at `nowMs`; undefined = any age. */
export const oldestAcceptedMs = (stream: Stream, nowMs: number): number | undefined => {
  const days = retentionDays[stream]
  return days === undefined ? undefined : nowMs - (days - 1) * dayMs
}

function field(o: Obj, key: string): unknown {
  const v = o[key]
  if (v === undefined || v === null) throw new Reject('MISSING_FIELD', `${key} is required`)
  return v
}

function str(o: Obj, key: string, maxLength = 256, optional = false): string {
  if (optional && (o[key] === undefined || o[key] === null)) return ''
  const v = field(o, key)
  if (typeof v !== 'string') throw new Reject('INVALID_TYPE', `${key} must be a string`)
  if (v.length === 0 && !optional) throw new Reject('INVALID_VALUE', `${key} must not be empty`)
  if (v.length > maxLength) throw new Reject('OUT_OF_RANGE', `${key} is longer than ${maxLength} characters`)
  // Control characters would break TSV exports and terminals downstream.
  if (controlCharRe.test(v)) throw new Reject('INVALID_VALUE', `${key} contains control characters`)
  // ClickHouse refuses a lone surrogate (not UTF-8), which would fail the whole shared INSERT.
  if (!v.isWellFormed()) throw new Reject('INVALID_VALUE', `${key} contains a lone surrogate (not valid Unicode)`)
  return v
}

/** A required identifier under its one rule (core/identifiers.ts). */
function id(o: Obj, key: string, kind: IdentifierKind): string {
  const v = field(o, key)
  if (typeof v !== 'string') throw new Reject('INVALID_TYPE', `${key} must be a string`)
  const rule = identifiers[kind]
  if (!rule.pattern.test(v)) throw new Reject(v.length > rule.maxLength ? 'OUT_OF_RANGE' : 'INVALID_VALUE', `${key} must be ${rule.description}`)
  return v
}

/** A Decimal(18, scale) column: integer digits, decimals, and whether 0 is allowed (else it must be > 0). */
interface DecimalRule {
  intDigits: number
  scale: number
  positive: boolean
}
const price8: DecimalRule = { intDigits: 10, scale: 8, positive: true }
const money4: DecimalRule = { intDigits: 14, scale: 4, positive: false }

/**
 * A decimal field, as a JSON number or a decimal string, rounded half away from zero to the
 * column's scale (docs/events.md); the row keeps the number when no rounding was needed,
 * else the exact rounded text. Bounds are checked after rounding: 1e-300 is not a price.
 */
function decimal(o: Obj, key: string, rule: DecimalRule): number | string {
  const v = field(o, key)
  const bound = `${rule.positive ? '> 0' : '≥ 0'} and below 1e${rule.intDigits}`
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Reject('OUT_OF_RANGE', `${key} must be ${bound}`)
    if (exactText(v, rule.scale) !== undefined) {
      if ((rule.positive ? v <= 0 : v < 0) || v >= 10 ** rule.intDigits) throw new Reject('OUT_OF_RANGE', `${key} must be ${bound}`)
      return v
    }
  } else if (typeof v !== 'string' || !isDecimalText(v)) {
    throw new Reject('INVALID_TYPE', `${key} must be a number or a decimal string`)
  }
  const scaled = toScaled(v, rule.scale)
  if (scaled.units < 0n || scaled.units >= powerOfTen(rule.intDigits, rule.scale)) throw new Reject('OUT_OF_RANGE', `${key} must be ${bound}`)
  if (rule.positive && scaled.units === 0n) {
    throw new Reject('OUT_OF_RANGE', Number(v) > 0 ? `${key} rounds to 0 at ${rule.scale} decimals; it must be > 0` : `${key} must be ${bound}`)
  }
  return scaledText(scaled)
}

function integer(o: Obj, key: string, max: number): number {
  const v = field(o, key)
  if (typeof v !== 'number') throw new Reject('INVALID_TYPE', `${key} must be a number`)
  if (!Number.isInteger(v)) throw new Reject('INVALID_VALUE', `${key} must be an integer`)
  if (v <= 0 || v > max) throw new Reject('OUT_OF_RANGE', `${key} must be between 1 and ${max}`)
  return v
}

function oneOf<T extends string>(o: Obj, key: string, allowed: readonly T[], fallback?: T): T {
  if (fallback !== undefined && (o[key] === undefined || o[key] === null)) return fallback
  const v = field(o, key)
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new Reject('INVALID_VALUE', `${key} must be one of ${allowed.join(', ')}`)
  }
  return v as T
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate()

/** A strict ISO-8601 date or date-time → epoch ms; an impossible date (2026-02-30, 24:00) is refused, never rolled over. */
function isoMs(v: string): number {
  const m = isoTsRe.exec(v)
  if (!m) throw new Reject('INVALID_TYPE', 'ts must be an ISO-8601 string or epoch milliseconds')
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone, zoneSign, zh = '0', zm = '0'] = m
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || Number(zh) > 23 || Number(zm) > 59) {
    throw new Reject('INVALID_VALUE', `ts ${v} is not a real date and time`)
  }
  // Stored to the millisecond: finer digits are dropped (the millisecond the instant falls in).
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'))
  const offsetMs = zone && zone !== 'Z' ? (zoneSign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000 : 0
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMs
}

/** ISO-8601 string or epoch milliseconds → 'YYYY-MM-DD hh:mm:ss.sss' (UTC), within the stream's retention. */
function timestamp(o: Obj, stream: Stream, nowMs: number): string {
  const v = field(o, 'ts')
  let ms: number
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0 && v < minEpochMs) {
      throw new Reject('OUT_OF_RANGE', `ts ${v} is before 1973 in epoch milliseconds: send milliseconds, not seconds`)
    }
    ms = Math.floor(v)
  } else if (typeof v === 'string') ms = isoMs(v)
  else throw new Reject('INVALID_TYPE', 'ts must be an ISO-8601 string or epoch milliseconds')
  if (!Number.isFinite(ms) || ms < 0 || ms >= maxTsMs) throw new Reject('OUT_OF_RANGE', 'ts must be between 1970 and 2100')
  const oldest = oldestAcceptedMs(stream, nowMs)
  if (oldest !== undefined && ms < oldest) {
    throw new Reject('OUT_OF_RETENTION', `ts is older than the ${retentionDays[stream]}-day retention of ${stream}: events before ${new Date(oldest).toISOString()} would be dropped`)
  }
  return formatMs(ms)
}

// Events arrive many per second: the 'YYYY-MM-DD hh:mm:ss' part is formatted once per second
// (Date#toISOString per event was the ingest path's largest single cost in a profile).
let cachedSecond = Number.NaN
let cachedPrefix = ''

/** Epoch milliseconds (≥ 0, integer) → 'YYYY-MM-DD hh:mm:ss.sss' (UTC). */
export function formatMs(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().replace('T', ' ').slice(0, 19)
    cachedSecond = second
  }
  const frac = ms - second * 1000
  return cachedPrefix + (frac < 10 ? '.00' : frac < 100 ? '.0' : '.') + frac
}

// The allowed values, here once: the demo generator's event types derive from them.
export const tradeSides = ['buy', 'sell'] as const
export const orderStatuses = ['completed', 'pending', 'cancelled', 'refunded'] as const
export const webEventTypes = ['view', 'add_to_cart', 'checkout', 'purchase'] as const

let idCounter = 0
const idPrefix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-`
const generateId = () => idPrefix + (idCounter++).toString(36)

const validators: Record<Stream, (o: Obj, nowMs: number) => Row> = {
  trades(o, nowMs) {
    return {
      id: o.id === undefined || o.id === null ? generateId() : id(o, 'id', 'event'),
      ts: timestamp(o, 'trades', nowMs),
      symbol: id(o, 'symbol', 'symbol'),
      price: decimal(o, 'price', price8),
      qty: decimal(o, 'qty', price8),
      side: oneOf(o, 'side', tradeSides),
      venue: str(o, 'venue', 64, true),
    }
  },
  orders(o, nowMs) {
    const quantity = integer(o, 'quantity', 2 ** 32 - 1)
    const currency = o.currency === undefined || o.currency === null ? 'USD' : str(o, 'currency', 3)
    if (!currencyRe.test(currency)) throw new Reject('INVALID_VALUE', 'currency must be an ISO-4217 code')
    const country = str(o, 'country', 2, true)
    if (country && !countryRe.test(country)) throw new Reject('INVALID_VALUE', 'country must be an ISO-3166 alpha-2 code')
    const hasCost = o.unit_cost !== undefined && o.unit_cost !== null
    return {
      order_id: id(o, 'order_id', 'order'),
      ts: timestamp(o, 'orders', nowMs),
      shop_id: id(o, 'shop_id', 'shop'),
      customer_id: id(o, 'customer_id', 'customer'),
      product_id: id(o, 'product_id', 'product'),
      category: str(o, 'category', 128),
      quantity,
      unit_price: decimal(o, 'unit_price', money4),
      unit_cost: hasCost ? decimal(o, 'unit_cost', money4) : null,
      currency,
      status: oneOf(o, 'status', orderStatuses),
      country,
    }
  },
  web_events(o, nowMs) {
    return {
      ts: timestamp(o, 'web_events', nowMs),
      session_id: id(o, 'session_id', 'session'),
      shop_id: id(o, 'shop_id', 'shop'),
      type: oneOf(o, 'type', webEventTypes),
      customer_id: o.customer_id === undefined || o.customer_id === null || o.customer_id === '' ? '' : id(o, 'customer_id', 'customer'),
      product_id: o.product_id === undefined || o.product_id === null || o.product_id === '' ? '' : id(o, 'product_id', 'product'),
    }
  },
}

/**
 * Validates one decoded JSON value; returns the raw-table row or the reason it was rejected.
 * `nowMs` places the retention limit (pass one clock reading per batch).
 */
export function validateEvent(stream: Stream, value: unknown, nowMs = Date.now()): Row | Reject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new Reject('NOT_AN_OBJECT', 'each line must be a JSON object')
  }
  try {
    return validators[stream](value as Obj, nowMs)
  } catch (e) {
    if (e instanceof Reject) return e
    throw e
  }
}
