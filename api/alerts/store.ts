// Rules and fired alerts in ClickHouse: alert_rules (ReplacingMergeTree by version, like
// dashboards) and alerts (append-only history). Writes arriving together go out as one
// INSERT (group commit): 10,000 rules created at once must not become 10,000 parts.
import type { ClickHouseClient } from '@clickhouse/client'
import { formatTime } from '../history/params.ts'
import type { Access, Alert, Condition, Notify, Rule } from './schema.ts'

export interface RuleStore {
  /** The owner's rules (one when `id` is given), newest first. */
  rules(owner: string, id?: string): Promise<Rule[]>
  /** Every rule of every owner (the evaluator's load). */
  allRules(): Promise<Rule[]>
  /** A digest of every rule's id and version: equal digests, no rule added, changed or deleted (a cheap check before allRules). */
  digest(): Promise<string>
  /** Every rule's id and version, without the rest of its row. */
  versions(): Promise<Map<string, number>>
  /** The rules with these ids, any owner. */
  rulesByIds(ids: string[]): Promise<Rule[]>
  count(owner: string): Promise<number>
  write(rule: Rule, deleted?: boolean): Promise<void>
  insertAlerts(alerts: Alert[]): Promise<void>
  /** The owner's alerts with seq above `afterSeq`, oldest first (SSE and WebSocket resumption). */
  alertsAfter(owner: string, afterSeq: number, limit: number): Promise<Alert[]>
  /** The owner's alerts newest first, filtered; paged by seq below `beforeSeq`. */
  history(owner: string, q: HistoryQuery): Promise<Alert[]>
  /** The newest fire of each rule and entity in the last `days` days: cooldowns that outlive a restart. */
  lastFired(days: number): Promise<Map<string, number>>
}

export interface HistoryQuery {
  fromMs?: number
  toMs?: number
  ruleId?: string
  beforeSeq?: number
  limit: number
}

interface RuleRow {
  owner: string; id: string; name: string; channel: string; params: string; condition: string; for_s: number; cooldown_s: number
  notify: string; access: string; muted: number; snoozed_ms: string; acked_ms: string; version: string; created_ms: string; updated_ms: string
}

interface AlertRow {
  owner: string; seq: string; id: string; rule_id: string; rule_name: string; channel: string; params: string; entity: string
  condition: string; value: number; at_ms: string; fired_ms: string
}

// Aliases never reuse a column's name: WHERE would compare with the alias.
const ruleColumns = `owner, id, name, channel, params, condition, for_s, cooldown_s, notify, access, muted,
  toUnixTimestamp64Milli(snoozed_until) AS snoozed_ms, toUnixTimestamp64Milli(acked_at) AS acked_ms, version,
  toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(updated_at) AS updated_ms`
const alertColumns = `owner, seq, id, rule_id, rule_name, channel, params, entity, condition, value,
  toUnixTimestamp64Milli(at) AS at_ms, toUnixTimestamp64Milli(fired_at) AS fired_ms`

export const entityKeyOf = (ruleId: string, entityKey: string) => `${ruleId}|${entityKey}`

/** One INSERT at a time; rows written while it runs go together in the next one. */
export function groupCommit<T>(write: (rows: T[]) => Promise<void>): (rows: T[]) => Promise<void> {
  let waiting: { rows: T[]; done: (e?: unknown) => void }[] = []
  let running = false
  async function pump() {
    while (waiting.length) {
      const batch = waiting
      waiting = []
      const error = await write(batch.flatMap((b) => b.rows)).then(() => undefined, (e: unknown) => e ?? new Error('write failed'))
      for (const b of batch) b.done(error)
    }
    running = false
  }
  return (rows) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ rows, done: (e) => (e ? reject(e) : resolve()) })
      if (!running) (running = true), void pump()
    })
}

export function createRuleStore(ch: ClickHouseClient): RuleStore {
  const query = async <T>(sql: string, params: Record<string, unknown> = {}) =>
    (await ch.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>()
  const writeRules = groupCommit<Record<string, unknown>>((values) => ch.insert({ table: 'alert_rules', format: 'JSONEachRow', values }).then(() => undefined))
  const writeAlerts = groupCommit<Record<string, unknown>>((values) => ch.insert({ table: 'alerts', format: 'JSONEachRow', values }).then(() => undefined))

  return {
    async rules(owner, id) {
      const rows = await query<RuleRow>(`SELECT ${ruleColumns} FROM alert_rules FINAL WHERE owner = {owner:String} ${id ? 'AND id = {id:UUID}' : ''}
        ORDER BY created_ms DESC, id`, { owner, id })
      return rows.map(toRule)
    },
    async allRules() {
      return (await query<RuleRow>(`SELECT ${ruleColumns} FROM alert_rules FINAL`)).map(toRule)
    },
    async digest() {
      const [r] = await query<{ n: string; h: string }>('SELECT toString(count()) AS n, toString(groupBitXor(cityHash64(id, version))) AS h FROM alert_rules FINAL')
      return `${r?.n ?? 0}/${r?.h ?? 0}`
    },
    async versions() {
      const rows = await query<{ id: string; version: string }>('SELECT id, toString(version) AS version FROM alert_rules FINAL')
      return new Map(rows.map((r) => [r.id, Number(r.version)]))
    },
    async rulesByIds(ids) {
      if (!ids.length) return []
      return (await query<RuleRow>(`SELECT ${ruleColumns} FROM alert_rules FINAL WHERE id IN {ids:Array(UUID)}`, { ids })).map(toRule)
    },
    async count(owner) {
      const [r] = await query<{ n: string }>('SELECT toString(count()) AS n FROM alert_rules FINAL WHERE owner = {owner:String}', { owner })
      return Number(r?.n ?? 0)
    },
    write: (rule, deleted = false) => writeRules([ruleRow(rule, deleted)]),
    insertAlerts: (alerts) => (alerts.length ? writeAlerts(alerts.map(alertRow)) : Promise.resolve()),
    async alertsAfter(owner, afterSeq, limit) {
      const rows = await query<AlertRow>(`SELECT ${alertColumns} FROM alerts WHERE owner = {owner:String} AND seq > {after:UInt64}
        ORDER BY seq LIMIT {limit:UInt32}`, { owner, after: Math.max(0, afterSeq), limit })
      return rows.map(toAlert)
    },
    async history(owner, q) {
      const where = ['owner = {owner:String}']
      if (q.fromMs !== undefined) where.push('fired_at >= fromUnixTimestamp64Milli({from:Int64})')
      if (q.toMs !== undefined) where.push('fired_at < fromUnixTimestamp64Milli({to:Int64})')
      if (q.ruleId) where.push('rule_id = {rule:UUID}')
      if (q.beforeSeq !== undefined) where.push('seq < {before:UInt64}')
      const rows = await query<AlertRow>(`SELECT ${alertColumns} FROM alerts WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT {limit:UInt32}`,
        { owner, from: q.fromMs, to: q.toMs, rule: q.ruleId, before: q.beforeSeq, limit: q.limit })
      return rows.map(toAlert)
    },
    async lastFired(days) {
      const rows = await query<{ rule_id: string; entity: string; t: string }>(`SELECT rule_id, entity, toUnixTimestamp64Milli(max(fired_at)) AS t
        FROM alerts WHERE fired_at >= now64(3) - toIntervalDay({days:UInt32}) GROUP BY rule_id, entity`, { days })
      return new Map(rows.map((r) => [entityKeyOf(r.rule_id, entityKeyFromJson(r.entity)), Number(r.t)]))
    },
  }
}

/** The evaluator keys entities by the JSON of their values in column order; the table stores the named object. */
export const entityKeyFromJson = (json: string) => JSON.stringify(Object.values(JSON.parse(json) as Record<string, unknown>))

function ruleRow(r: Rule, deleted: boolean): Record<string, unknown> {
  return {
    owner: r.owner, id: r.id, name: r.name, channel: r.channel, params: JSON.stringify(r.params), condition: JSON.stringify(r.condition),
    for_s: r.for_s, cooldown_s: r.cooldown_s, notify: JSON.stringify(r.notify), access: JSON.stringify(r.access), muted: r.muted ? 1 : 0,
    snoozed_until: formatTime(r.snoozedUntil), acked_at: formatTime(r.ackedAt), version: r.version, deleted: deleted ? 1 : 0,
    created_at: formatTime(r.createdAt), updated_at: formatTime(r.updatedAt),
  }
}

function toRule(r: RuleRow): Rule {
  return {
    id: r.id, owner: r.owner, name: r.name, channel: r.channel, params: JSON.parse(r.params), condition: JSON.parse(r.condition) as Condition,
    for_s: Number(r.for_s), cooldown_s: Number(r.cooldown_s), notify: JSON.parse(r.notify) as Required<Notify>[], access: JSON.parse(r.access) as Access,
    muted: Number(r.muted) === 1, snoozedUntil: Number(r.snoozed_ms), ackedAt: Number(r.acked_ms), version: Number(r.version),
    createdAt: Number(r.created_ms), updatedAt: Number(r.updated_ms),
  }
}

function alertRow(a: Alert): Record<string, unknown> {
  return {
    owner: a.owner, seq: a.seq, id: a.id, rule_id: a.ruleId, rule_name: a.ruleName, channel: a.channel, params: JSON.stringify(a.params),
    entity: JSON.stringify(a.entity), condition: JSON.stringify(a.condition), value: a.value, at: formatTime(a.at), fired_at: formatTime(a.firedAt),
  }
}

function toAlert(r: AlertRow): Alert {
  return {
    id: r.id, seq: Number(r.seq), owner: r.owner, ruleId: r.rule_id, ruleName: r.rule_name, channel: r.channel, params: JSON.parse(r.params),
    entity: JSON.parse(r.entity), condition: JSON.parse(r.condition), value: Number(r.value), at: Number(r.at_ms), firedAt: Number(r.fired_ms),
  }
}
