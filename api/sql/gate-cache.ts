/**
 * The gate's verdicts by statement text: a dashboard or a replica sends the same statement
 * over and over with new parameter values, and a verdict does not depend on values (they
 * become literals) — except `Identifier` parameters, which name tables: those are never
 * cached. Saves the two parser round trips (formatQuery, EXPLAIN AST) per repeated statement.
 */
export interface Verdict {
  formatted: string
  /** The FORMAT clause of the statement, if it has one. */
  format?: string
  kind: string
  useDatabase?: string
}

export function createGateCache(maxEntries = 1000) {
  const entries = new Map<string, Verdict>()
  const key = (sql: string, database: string, operator: boolean) => `${operator ? 1 : 0}\u0000${database}\u0000${sql}`
  return {
    get(sql: string, database: string, operator: boolean): Verdict | undefined {
      const k = key(sql, database, operator)
      const v = entries.get(k)
      if (v) {
        entries.delete(k)
        entries.set(k, v)
      }
      return v
    },
    set(sql: string, database: string, operator: boolean, verdict: Verdict) {
      if (/identifier/i.test(sql)) return
      entries.set(key(sql, database, operator), verdict)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
  }
}
