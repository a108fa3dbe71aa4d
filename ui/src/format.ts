// Numbers and dates through Intl, with the browser's locale; times shown in UTC like the data.
const cache = new Map<string, Intl.NumberFormat>()
/** A cached Intl.NumberFormat: one per `key` (which must name the options). */
export const nf = (key: string, o: Intl.NumberFormatOptions) => {
  let f = cache.get(key)
  if (!f) cache.set(key, (f = new Intl.NumberFormat(undefined, o)))
  return f
}

export const num = (v: unknown, digits = 2) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? '–' : nf(`n${digits}`, { maximumFractionDigits: digits }).format(Number(v)))
export const int = (v: unknown) => num(v, 0)
export const compact = (v: unknown) => (v == null ? '–' : nf('c', { notation: 'compact', maximumFractionDigits: 1 }).format(Number(v)))
export const money = (v: unknown, currency = 'USD') => (v == null || v === '' ? '–' : nf(`m${currency}`, { style: 'currency', currency }).format(Number(v)))
export const pct = (v: unknown) => (v == null || v === '' ? '–' : nf('p', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(Number(v) / 100))
export const share = (v: number) => nf('s', { style: 'percent', maximumFractionDigits: 1 }).format(v)

const dtf = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'UTC' })
const df = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' })
export const time = (ms: number) => dtf.format(ms)
export const date = (ms: number) => df.format(ms)

/** "0.4 s", "12 s", "3 min": how old the newest point is. */
export function age(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  const s = Math.max(0, ms) / 1000
  if (s < 10) return `${nf('a1', { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(s)} s`
  if (s < 120) return `${Math.round(s)} s`
  return `${Math.round(s / 60)} min`
}

/** How old the newest point may be before a widget shows it as late, then stale. */
export function freshnessLevel(ageMs: number): 'fresh' | 'late' | 'stale' {
  return ageMs > 10_000 ? 'stale' : ageMs > 2_000 ? 'late' : 'fresh'
}

/** ClickHouse column types (JSON `meta`) whose values are numbers, and dates or times. */
export const numericType = /^(Nullable\()?(U?Int|Float|Decimal)/
export const timeType = /^(Nullable\()?(Date|DateTime)/

/** A ClickHouse Date or DateTime as JSON text ("2024-05-01 12:00:00", with or without an offset) → epoch ms; no offset means UTC. */
export function chTime(v: unknown): number {
  const s = String(v)
  return Date.parse(s.replace(' ', 'T') + (/Z|[+-]\d\d:?\d\d$/.test(s) ? '' : 'Z'))
}
