import { readMigrations } from '../clickhouse/migrate.ts'
import { splitSql } from '../clickhouse/split-sql.ts'

/**
 * Which versioned raw tables (clickhouse/views/013: trades, orders, web_events,
 * dead_letters) a catalog query's answer depends on, worked out from the migrations'
 * materialized views: sales_1h is fed by orders, so a query over sales_1h depends on
 * orders' versions. A query reading anything the views do not explain (a table added
 * without a view from a raw table, a CTE, system tables) depends on every source: its
 * answers change key on any write, which is always correct, only less cached.
 */
export interface SourceGraph {
  /** Every versioned raw table, sorted. */
  all: string[]
  /** The versioned tables behind the tables a query's SQL reads, sorted. */
  of(sql: string): string[]
}

const materializedView = /^CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ TO (\w+) AS\b([\s\S]*)$/
const readsTable = /\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/gi
/** The tables of data versions (views/013; 010–012 before it): fed by a view from each versioned raw table. */
const versionsTable = /^data_version(s|s_1h|s_1m|_buckets)$/

export function createSourceGraph(sqlFiles = readMigrations().map((f) => f.sql)): SourceGraph {
  const feeders = new Map<string, Set<string>>()
  const versioned = new Set<string>()
  for (const file of sqlFiles) {
    for (const raw of splitSql(file)) {
      const m = materializedView.exec(raw.replace(/^\s*--.*$/gm, '').trim())
      if (!m) continue
      const [, target, body] = m
      const from = tablesIn(body)
      if (versionsTable.test(target)) from.forEach((t) => versioned.add(t))
      else {
        let set = feeders.get(target)
        if (!set) feeders.set(target, (set = new Set()))
        from.forEach((t) => set!.add(t))
      }
    }
  }
  const all = [...versioned].sort()
  const resolve = (table: string, seen: Set<string>): string[] | undefined => {
    if (versioned.has(table)) return [table]
    const from = feeders.get(table)
    if (!from || seen.has(table)) return undefined
    seen.add(table)
    const out = new Set<string>()
    for (const f of from) {
      const r = resolve(f, seen)
      if (!r) return undefined
      r.forEach((x) => out.add(x))
    }
    return [...out]
  }
  return {
    all,
    of(sql) {
      const out = new Set<string>()
      for (const table of tablesIn(sql)) {
        const r = resolve(table, new Set())
        if (!r) return all
        r.forEach((x) => out.add(x))
      }
      return out.size ? [...out].sort() : all
    },
  }
}

function tablesIn(sql: string): string[] {
  const noComments = sql.replace(/--[^\n]*/g, '')
  return [...new Set([...noComments.matchAll(readsTable)].map((m) => m[1]))]
}
