// Anomaly bands for the evaluator: one query per group (channel kind, table, column, days)
// for all members with anomaly rules, refreshed every `refreshMs` and when the hour changes
// (the band is the same hour of day on previous days). Never a query per rule.
import type { ClickHouseClient } from '@clickhouse/client'
import { inlineParams } from '../clickhouse/literal.ts'
import type { Logger } from '../log.ts'
import { anomalyGroup, anomalyMember, bandQuery, type BandRow } from './anomaly-sql.ts'
import { isAdditive } from './columns.ts'
import type { Band } from './conditions.ts'
import type { BandSource } from './evaluator.ts'
import type { Rule } from './schema.ts'

interface Group {
  channel: string
  params: Record<string, unknown>
  column: string
  days: number
  /** Member → rules watching it. */
  members: Map<string, number>
  bands: Map<string, Band>
  hour: number
  refreshedAt: number
}

/** Member and the entity's key as the evaluator writes it (JSON of the entity's values). */
const bandKey = (member: string, entityKey: string) => `${member}|${entityKey}`

/** A band from per-bucket sums: additive columns count the buckets without rows as zeros. */
export function bandOf(row: BandRow, column: string, bucketS: number): Band {
  const buckets = isAdditive(column) ? Number(row.days_seen) * Math.max(1, Math.floor(3600 / bucketS)) : Number(row.rows)
  const n = Math.max(1, buckets)
  const mean = Number(row.s) / n
  const variance = Math.max(0, Number(row.s2) / n - mean * mean)
  return { mean, sd: Math.sqrt(variance), n: buckets }
}

export function createBands(o: { ch: ClickHouseClient; log: Logger; refreshMs: number; now?: () => number }): BandSource & { refresh(): Promise<void>; stop(): void } {
  const now = o.now ?? Date.now
  const groups = new Map<string, Group>()
  let running: Promise<void> | undefined

  async function load(g: Group) {
    const members = [...g.members.keys()]
    const sql = bandQuery(g.channel, g.params, g.column, g.days, members)
    const rs = await o.ch.query({ query: inlineParams(sql.query, sql.params), format: 'JSONEachRow' })
    const rows = await rs.json<BandRow>()
    g.bands = new Map(rows.map((r) => [bandKey(r.member, JSON.stringify(r.entity)), bandOf(r, g.column, sql.bucketS)]))
    g.hour = Math.floor(now() / 3_600_000)
    g.refreshedAt = now()
  }

  async function refresh() {
    for (const g of groups.values()) {
      if (!g.members.size) continue
      const stale = now() - g.refreshedAt >= o.refreshMs || Math.floor(now() / 3_600_000) !== g.hour
      if (stale) await load(g).catch((error) => o.log.warn('anomaly band query failed', { channel: g.channel, column: g.column, error }))
    }
  }
  const tick = () => void (running ??= refresh().finally(() => (running = undefined)))
  const timer = setInterval(tick, Math.min(o.refreshMs, 10_000))
  timer.unref()

  return {
    watch(rule: Rule) {
      const days = rule.condition.days ?? 7
      const key = anomalyGroup(rule.channel, rule.params, rule.condition.column, days)
      let g = groups.get(key)
      if (!g) groups.set(key, (g = { channel: rule.channel, params: rule.params, column: rule.condition.column, days, members: new Map(), bands: new Map(), hour: -1, refreshedAt: 0 }))
      const member = anomalyMember(rule.channel, rule.params)
      const fresh = !g.members.has(member)
      g.members.set(member, (g.members.get(member) ?? 0) + 1)
      if (fresh) (g.refreshedAt = 0), tick()
      const group = g
      let closed = false
      return {
        get: (entityKey: string) => group.bands.get(bandKey(member, entityKey)),
        close() {
          if (closed) return
          closed = true
          const left = (group.members.get(member) ?? 1) - 1
          if (left > 0) group.members.set(member, left)
          else group.members.delete(member)
        },
      }
    },
    refresh: async () => {
      tick()
      await running
    },
    stop: () => clearInterval(timer),
  }
}
