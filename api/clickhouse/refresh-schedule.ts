import type { ClickHouseClient } from '@clickhouse/client'
import { readFileSync } from 'node:fs'
import type { InsightsRefreshStats } from '../observability/metrics.ts'
import { replaceKeptFile } from '../kept-file.ts'

export interface RefreshScheduleOptions {
  ch: ClickHouseClient
  /** How often to look at the orders and at the views' last refreshes. */
  checkMs: number
  /** While the views are paused, how often to look for a new order (default: 5 s, or `checkMs` if shorter). */
  wakeCheckMs?: number
  /**
   * Where the highest orders block every view is known to have read is kept across restarts (the engine
   * forgets its views' last refreshes); unset: not kept, and only a directory without orders pauses at start.
   */
  stateFile?: string
  /** While paused, the views still run once this often (their windows move with the clock). */
  idleRefreshMs: number
  /** Share of the time the refresh burst may take (its span ÷ the period); 0: every minute, whatever it costs. */
  budget: number
  onError?: (e: unknown) => void
  /** A new period for every refreshable view, with the burst's span that chose it. */
  onPeriod?: (periodMin: number, spanMs: number) => void
}

/** The periods a view may get, in minutes (`REFRESH EVERY n MINUTE` is aligned to the clock). */
export const REFRESH_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60] as const

/**
 * The shortest step whose budget holds a refresh burst of `spanMs`. A step shorter than the
 * current one must fit with 30 % to spare, so the period does not flap on noise; a burst beyond
 * the longest step's budget gets the longest step (and costs more than the budget).
 */
export function refreshPeriodMin(spanMs: number, budget: number, currentMin: number): number {
  if (budget <= 0) return 1
  const step = REFRESH_STEPS_MIN.find((m) => spanMs <= budget * m * 60_000 * (m < currentMin ? 0.7 : 1))
  return step ?? REFRESH_STEPS_MIN[REFRESH_STEPS_MIN.length - 1]
}

/** A refreshable view as the engine reports it. */
export interface RefreshView {
  /** `database`.`view`, quoted for statements. */
  id: string
  /** `database.view`, as DEPENDS ON names it. */
  name: string
  everyMin: number
  /** The DEPENDS ON list as written, or ''. */
  dependsOn: string
  lastMs: number | null
}

const quoteId = (database: string, table: string) => [database, table].map((s) => '`' + s.replaceAll('`', '``') + '`').join('.')

/** `REFRESH EVERY n MINUTE|HOUR [DEPENDS ON a, b]` in a view's CREATE statement; other schedules are left alone. */
const SCHEDULE = /\bREFRESH EVERY (\d+) (MINUTE|HOUR)(?: DEPENDS ON ([^(]+?))? \(/

export function parseRefreshView(database: string, view: string, createQuery: string, lastMs: number | null): RefreshView | undefined {
  const m = SCHEDULE.exec(createQuery)
  if (!m) return undefined
  return { id: quoteId(database, view), name: `${database}.${view}`, everyMin: Number(m[1]) * (m[2] === 'HOUR' ? 60 : 1), dependsOn: m[3] ?? '', lastMs }
}

/**
 * How long one burst of refreshes takes: views without dependencies start together at the
 * period's boundary, each dependent after its dependencies, so the span is the sum over the
 * dependency levels of the slowest view of each. Unknown until every view refreshed once.
 */
export function refreshSpanMs(views: RefreshView[]): number | undefined {
  if (views.some((v) => v.lastMs === null)) return undefined
  const byName = new Map(views.map((v) => [v.name, v]))
  const levels = new Map<string, number>()
  /** 0 without dependencies, else one above the highest of them; a view met again on its own path (a cycle) counts 0. */
  const level = (v: RefreshView, path: Set<string>): number => {
    const known = levels.get(v.name)
    if (known !== undefined) return known
    if (path.has(v.name)) return 0
    path.add(v.name)
    const deps = v.dependsOn ? v.dependsOn.split(',').flatMap((d) => byName.get(d.trim()) ?? []) : []
    const l = deps.length ? 1 + Math.max(...deps.map((d) => level(d, path))) : 0
    path.delete(v.name)
    levels.set(v.name, l)
    return l
  }
  const slowest = new Map<number, number>()
  for (const v of views) {
    const l = level(v, new Set())
    slowest.set(l, Math.max(slowest.get(l) ?? 0, v.lastMs!))
  }
  return [...slowest.values()].reduce((a, b) => a + b, 0)
}

/**
 * The insights' refreshable views (clickhouse/views/021, 023–025) re-read up to 90 days of orders,
 * so their cost grows with the data kept. Embedded engine only, every `checkMs`:
 * - without an order written since the last check, the views stop (`SYSTEM STOP VIEWS`) until
 *   orders arrive, and still refresh once every `idleRefreshMs` (or their period, if longer); at
 *   start, with no order at all (a new directory), they stop at once. While stopped, the orders are
 *   looked at every `wakeCheckMs`, so the views start again within seconds of the next order;
 * - while they run, their period follows their cost: the shortest of 1, 2, 5 … 60 minutes at which
 *   the burst of refreshes takes at most `budget` of the time (`ALTER TABLE … MODIFY REFRESH`).
 */
export function startRefreshSchedule(o: RefreshScheduleOptions) {
  let lastBlock: string | undefined
  let paused = false
  let lastRunMs = Date.now()
  /** Set while an idle refresh runs: the views stay started until each has refreshed since. */
  let idleSince: number | undefined
  let checking = false
  /** When the orders were last looked at (0: not yet; the first look comes one `wakeCheckMs` after start). */
  let lastCheckMs = 0
  let periodMin = 1
  let spanMs: number | undefined

  /** The highest orders block every view has read (a refresh of each started after it was seen), kept in `stateFile`. */
  let coveredBlock = readCoveredBlock(o.stateFile)
  /** Recent looks: when each orders block was seen (a refresh started later has read it). */
  const seen: { atMs: number; block: number }[] = []

  const rowsOf = async <T>(query: string) => (await (await o.ch.query({ query, format: 'JSONEachRow' })).json()) as T[]
  /** The orders table's highest block number (any part, merged away or not), and how many rows its live parts hold. */
  const orders = async () => {
    const [r] = await rowsOf<{ b: string; rows: string }>(
      "SELECT toString(max(max_block_number)) AS b, toString(sumIf(rows, active)) AS rows FROM system.parts WHERE database = currentDatabase() AND table = 'orders'")
    return { block: r?.b ?? '', empty: Number(r?.rows ?? 0) === 0 }
  }
  const readViews = async () => {
    const rows = await rowsOf<{ database: string; view: string; q: string; ms: number | null; refreshed: number; succeeded: number | null; running: number }>(
      `SELECT r.database AS database, r.view AS view, t.create_table_query AS q, r.last_success_duration_ms AS ms,
              toUnixTimestamp(ifNull(r.last_refresh_time, toDateTime(0))) AS refreshed, toUnixTimestamp(r.last_success_time) AS succeeded,
              r.status = 'Running' AS running
       FROM system.view_refreshes AS r INNER JOIN system.tables AS t ON t.database = r.database AND t.name = r.view`)
    return rows.map((r) => ({
      id: quoteId(r.database, r.view),
      /** When its last successful refresh started (s), or null (none since this engine started). */
      succeeded: r.succeeded === null || r.succeeded === undefined ? null : Number(r.succeeded),
      done: (since: number) => !r.running && Number(r.refreshed) >= since,
      view: parseRefreshView(r.database, r.view, r.q, r.ms === null ? null : Number(r.ms)),
    }))
  }
  const set = async (run: boolean) => {
    await o.ch.command({ query: run ? 'SYSTEM START VIEWS' : 'SYSTEM STOP VIEWS' })
    paused = !run
    if (run) lastRunMs = Date.now()
  }

  /** The highest block seen before every view's last successful refresh started, kept if higher than before. */
  function noteCovered(startsS: (number | null)[]) {
    if (!startsS.length || startsS.some((t) => t === null)) return
    const firstStartMs = Math.min(...(startsS as number[])) * 1000
    const read = seen.filter((l) => l.atMs < firstStartMs).reduce((b, l) => Math.max(b, l.block), -1)
    if (read < 0 || (coveredBlock !== undefined && read <= coveredBlock)) return
    coveredBlock = read
    if (!o.stateFile) return
    // A file that cannot be written costs a refresh at the next restart, not this check.
    try {
      replaceKeptFile(o.stateFile, JSON.stringify({ coveredBlock }))
    } catch (e) {
      o.onError?.(e)
    }
  }

  const idleRefreshDue = () => Date.now() - lastRunMs >= Math.max(o.idleRefreshMs, periodMin * 60_000)

  /** Started again for want of orders: refresh every view now, whatever its period. */
  async function idleRefresh(ids: string[]) {
    idleSince = Math.floor(Date.now() / 1000)
    await set(true)
    for (const id of ids) await o.ch.command({ query: `SYSTEM REFRESH VIEW ${id}` })
  }

  /** While orders flow, the period that keeps the burst within the budget. */
  async function follow(views: RefreshView[], span: number | undefined) {
    // Without a budget, back to every minute (a period set by an earlier run stays in the views' metadata).
    if (!views.length || (span === undefined && o.budget > 0)) return
    const next = refreshPeriodMin(span ?? 0, o.budget, periodMin)
    if (views.every((v) => v.everyMin === next)) return
    for (const v of views) {
      await o.ch.command({ query: `ALTER TABLE ${v.id} MODIFY REFRESH EVERY ${next} MINUTE${v.dependsOn ? ` DEPENDS ON ${v.dependsOn}` : ''}` })
    }
    periodMin = next
    o.onPeriod?.(next, span ?? 0)
  }

  async function check() {
    if (checking) return
    checking = true
    try {
      const { block, empty } = await orders()
      const first = lastBlock === undefined
      const changed = block !== lastBlock
      lastBlock = block
      lastCheckMs = Date.now()
      if (block !== '') {
        seen.push({ atMs: lastCheckMs, block: Number(block) })
        if (seen.length > 64) seen.shift()
      }
      // At start, views that have read every order (none at all, or none since the refreshes noted before a
      // restart) need no refresh; otherwise the first look just records where orders stand.
      if (first) {
        if (empty || (coveredBlock !== undefined && Number(block) <= coveredBlock)) await set(false)
        return
      }
      // Stopped, and still no new order: the look stays one read of system.parts unless an idle refresh
      // is due (without orders there is nothing for a moving window to bring in).
      if (paused && !changed && (empty || !idleRefreshDue())) return
      const rows = await readViews()
      noteCovered(rows.map((r) => r.succeeded))
      const views = rows.flatMap((r) => (r.view ? [r.view] : []))
      periodMin = Math.max(1, ...views.map((v) => v.everyMin))
      const span = refreshSpanMs(views)
      spanMs = span ?? spanMs
      if (changed) {
        idleSince = undefined
        if (paused) await set(true)
        await follow(views, span)
      } else if (paused) await idleRefresh(rows.map((r) => r.id))
      // After an idle refresh, stopped again once every view refreshed (a stop would cancel one running),
      // or after another idle interval if one keeps failing.
      else if (idleSince === undefined || rows.every((r) => r.done(idleSince!)) || Date.now() - idleSince * 1000 >= o.idleRefreshMs) {
        idleSince = undefined
        await set(false)
      }
    } catch (e) {
      o.onError?.(e)
    } finally {
      checking = false
    }
  }

  // One timer at the shorter cadence: every look while paused, every checkMs while the views run.
  const everyMs = Math.min(o.checkMs, o.wakeCheckMs ?? 5000)
  const timer = setInterval(() => {
    if (paused || Date.now() - lastCheckMs >= o.checkMs - everyMs / 2) void check()
  }, everyMs)
  timer.unref()
  return {
    /** Whether the views are stopped, their period and the last burst's span (for metrics and tests). */
    stats: (): InsightsRefreshStats => ({ paused, periodMin, spanMs }),
    check,
    /** Stops checking (a stop of the views lasts only as long as this process's engine; a period stays). */
    stop() {
      clearInterval(timer)
    },
  }
}

/** The block kept by an earlier run, or undefined (no file, or not one this code wrote). */
function readCoveredBlock(file: string | undefined): number | undefined {
  if (!file) return undefined
  try {
    const { coveredBlock } = JSON.parse(readFileSync(file, 'utf8')) as { coveredBlock?: unknown }
    return Number.isSafeInteger(coveredBlock) ? (coveredBlock as number) : undefined
  } catch {
    return undefined
  }
}
