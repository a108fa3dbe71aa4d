// Evaluates every rule on the rows of the live queries it watches: one watch per distinct
// channel topic, however many rules share it, and on each tick one pass over that tick's
// rows for all of them. Firing is edge-triggered: a condition must become true, hold for
// `for_s`, and a rule fires again only after the condition was false and `cooldown_s` passed.
import { randomUUID } from 'node:crypto'
import * as access from '../access.ts'
import type { ChannelSpec } from '../live/channels.ts'
import { channels as liveChannels } from '../live/channels.ts'
import type { Logger } from '../log.ts'
import type { Cell } from '../protocol/index.ts'
import { bucketOf, holds, needsArming, zScore, type Band } from './conditions.ts'
import { entityColumns, isAdditive } from './columns.ts'
import type { LiveChange, LiveFeed, LiveView } from './feed.ts'
import { principalOf } from './rules.ts'
import type { Alert, Rule } from './schema.ts'
import { LevelIndex } from './level-index.ts'
import { EntitySeries } from './series.ts'

/**
 * Anomaly bands (anomaly.ts): a rule's band per entity, by the entity's key (JSON of its values).
 * Rules of one channel topic with the same column and days have the same band (the evaluator reads
 * it once for all of them).
 */
export interface BandSource {
  watch(rule: Rule): { get(entityKey: string): Band | undefined; close(): void }
}

export interface EvaluatorOptions {
  feed: LiveFeed
  onFire(alert: Alert, rule: Rule): void
  log: Logger
  channels?: ReadonlyMap<string, ChannelSpec>
  bands?: BandSource
  now?: () => number
  /** Last fire per rule and entity key (from the history), so cooldowns survive restarts. */
  lastFired?: (ruleId: string, entityKey: string) => number | undefined
  /** Time spent evaluating, per tick of a channel (metrics). */
  onEvaluate?(ms: number): void
  /** Whether a token id was revoked (api/auth/revocations.ts): a rule saved with it stops firing. */
  isRevoked?(jti: string): boolean
}

export interface Evaluator {
  /** Adds a rule or applies a change to it (a changed definition starts it afresh). */
  upsert(rule: Rule): void
  remove(ruleId: string): void
  has(ruleId: string): boolean
  stats(): { rules: number; topics: number; inactive: number; observations: number }
  stop(): void
}

interface Edge {
  holding: boolean
  /** When the condition became true (wall clock). */
  since: number
  /** This episode fired, or was dropped (cooldown, mute, snooze): wait for the condition to clear. */
  fired: boolean
  /** crosses_*: the value was seen on the other side of the level. */
  armed: boolean
  lastFiredAt: number
  /** Ticks were missed (another replica led): take the next value as the state, not as an edge. */
  adopt: boolean
  entity: EntitySeries
  value: number
  at: number
}

interface RuleState {
  rule: Rule
  topic: Topic
  col: number
  closed: boolean
  /** The definition's parts read on every tick, taken once (the rule objects come in several shapes). */
  condition: Rule['condition']
  windowMs: number
  /** >, <, >=, <=, crosses_* on the open bucket: kept in the topic's level index. */
  level: boolean
  /** change_pct_* without for_s: kept in the index of its column and window. */
  pct?: PctGroup
  /** anomaly on closed buckets without for_s: kept in the index of its column, days and direction. */
  z?: ZGroup
  edges: Map<string, Edge>
  /** Why the rule cannot fire (no longer entitled, unknown channel), or undefined. */
  inactive?: string
  /** While seeding a channel's first tick here: new edges of a rule that has fired before adopt the state. */
  adoptFired?: boolean
  band?: ReturnType<BandSource['watch']>
}

interface Topic {
  key: string
  spec: ChannelSpec
  /** The channel's parsed params (bucket width). */
  params: unknown
  bucketMs: number
  rules: Map<string, RuleState>
  series: Map<string, EntitySeries>
  entityCols: number[]
  seq: number
  /** Start of the newest closed bucket evaluated. */
  lastClosed: number
  /** Rules with a for_s: checked on every tick, changed or not. */
  waiting: Set<RuleState>
  /** Level rules by column, sorted by threshold; change_pct rules by column and window; the other open-bucket rules in `scan`. */
  levels: Map<number, LevelIndex<RuleState>>
  pcts: Map<string, PctGroup>
  scan: Set<RuleState>
  /** Closed-bucket rules (anomaly by default) but those in `zs`: read once per bucket. */
  closedRules: Set<RuleState>
  zs: Map<string, ZGroup>
  /** How far back the rules look: the longest change_pct window and a few buckets. */
  keepMs: number
  close(): void
}

/**
 * change_pct rules of one column and window, sorted by threshold: every rule of the group compares
 * the same percentage (value against the value window_s earlier) with its own threshold, so as
 * with levels only those whose threshold lies between the last percentage and this one can change
 * their answer. Rules with a for_s stay in `scan`: they report the latest value when they fire.
 */
interface PctGroup {
  col: number
  windowMs: number
  index: LevelIndex<RuleState>
}

const pctOps = new Set(['change_pct_above', 'change_pct_below'])

/**
 * anomaly rules of one column, days and direction on closed buckets, sorted by threshold: all
 * read the same band, so the same z-score, turned so that each holds when it is above its
 * threshold (above: z, below: −z, both: |z|); only those whose threshold lies between the last
 * one and this one can change their answer. Rules added since the last bucket read it anyway.
 */
interface ZGroup {
  key: string
  col: number
  direction: 'above' | 'below' | 'both'
  members: Set<RuleState>
  index: LevelIndex<RuleState>
  fresh: Set<RuleState>
}

/** The rule's z-score turned so that the rule holds when it is above its threshold. */
const turned = (z: number, direction: ZGroup['direction']) => (direction === 'above' ? z : direction === 'below' ? -z : Math.abs(z))

/** Rule fields whose change restarts evaluation; name, notify, mute, snooze, ack and cooldown apply in place. */
const levelOps = new Set(['>', '<', '>=', '<=', 'crosses_above', 'crosses_below'])

const definitionOf = (r: Rule) => JSON.stringify([r.channel, r.params, r.condition, r.for_s, r.access.roles, r.access.symbols, r.access.shops])

export function createEvaluator(o: EvaluatorOptions): Evaluator {
  const channels = o.channels ?? liveChannels
  const now = o.now ?? Date.now
  const byRule = new Map<string, RuleState>()
  const revoked = (r: Rule) => r.access.jti !== undefined && (o.isRevoked?.(r.access.jti) ?? false)
  const topics = new Map<string, Topic>()
  /** Rule observations (one rule, one value), for the cost per tick. */
  let observations = 0

  function topicFor(rule: Rule, spec: ChannelSpec): Topic {
    const principal = principalOf(rule.owner, rule.access)
    const params = spec.parse(rule.params, principal)
    const verdict = access.channel(principal, rule.channel, params as Record<string, unknown>)
    if (!verdict.ok) throw new Error(`${verdict.code}: ${verdict.message}`)
    const key = spec.topic(params)
    const known = topics.get(key)
    if (known) return known
    const topic: Topic = {
      key, spec, params, bucketMs: spec.bucketMs(params) || 1000, rules: new Map(), series: new Map(), entityCols: entityColumns(spec),
      seq: -1, lastClosed: -Infinity, waiting: new Set(), levels: new Map(), pcts: new Map(), scan: new Set(), closedRules: new Set(), zs: new Map(), keepMs: 0, close: () => {},
    }
    topic.keepMs = keepOf(topic)
    const w = o.feed.watch(rule.channel, rule.params, principal, (view, change) => onTick(topic, view, change))
    topic.close = () => w.close()
    topics.set(key, topic)
    return topic
  }

  function add(rule: Rule) {
    const spec = channels.get(rule.channel)
    if (!spec) return void o.log.warn('alert rule on an unknown channel', { rule: rule.id, channel: rule.channel })
    let topic: Topic
    try {
      topic = topicFor(rule, spec)
    } catch (error) {
      // No longer entitled (the access kept with the rule no longer passes): kept, not watched.
      return void o.log.info('alert rule not watched', { rule: rule.id, error })
    }
    const rs: RuleState = {
      rule, topic, col: spec.meta.columns.indexOf(rule.condition.column), closed: bucketOf(rule.condition) === 'closed', edges: new Map(),
      condition: { ...rule.condition }, windowMs: (rule.condition.window_s ?? 0) * 1000, level: false,
    }
    rs.level = !rs.closed && levelOps.has(rule.condition.op)
    if (!rs.closed && pctOps.has(rule.condition.op) && rule.for_s === 0 && rs.windowMs > 0) rs.pct = pctGroupOf(topic, rs.col, rs.windowMs)
    if (rule.condition.op === 'anomaly') rs.band = o.bands?.watch(rule)
    if (rs.closed && rs.band && rule.condition.op === 'anomaly' && rule.for_s === 0) rs.z = zGroupOf(topic, rs)
    topic.rules.set(rule.id, rs)
    if (rs.level) {
      let index = topic.levels.get(rs.col)
      if (!index) topic.levels.set(rs.col, (index = new LevelIndex()))
      index.add(rule.condition.value, rs)
    } else if (rs.pct) rs.pct.index.add(rule.condition.value, rs)
    else if (rs.z) (rs.z.index.add(rule.condition.value, rs), rs.z.members.add(rs), rs.z.fresh.add(rs))
    else if (rs.closed) topic.closedRules.add(rs)
    else topic.scan.add(rs)
    if (rule.for_s > 0) topic.waiting.add(rs)
    byRule.set(rule.id, rs)
    topic.keepMs = Math.max(topic.keepMs, rs.windowMs + 2 * topic.bucketMs)
    if (topic.seq >= 0 && !rs.closed) for (const s of topic.series.values()) observeNewest(rs, s)
  }

  function pctGroupOf(topic: Topic, col: number, windowMs: number): PctGroup {
    const key = `${col}/${windowMs}`
    let g = topic.pcts.get(key)
    if (!g) topic.pcts.set(key, (g = { col, windowMs, index: new LevelIndex() }))
    return g
  }

  function zGroupOf(topic: Topic, rs: RuleState): ZGroup {
    const c = rs.condition
    const direction = c.direction ?? 'both'
    const key = `${rs.col}/${c.days ?? 7}/${direction}`
    let g = topic.zs.get(key)
    if (!g) topic.zs.set(key, (g = { key, col: rs.col, direction, members: new Set(), index: new LevelIndex(), fresh: new Set() }))
    return g
  }

  function remove(ruleId: string) {
    const rs = byRule.get(ruleId)
    if (!rs) return
    byRule.delete(ruleId)
    rs.band?.close()
    rs.topic.rules.delete(ruleId)
    rs.topic.waiting.delete(rs)
    rs.topic.scan.delete(rs)
    rs.topic.closedRules.delete(rs)
    if (rs.level) rs.topic.levels.get(rs.col)?.remove(rs)
    rs.pct?.index.remove(rs)
    if (rs.z) {
      rs.z.index.remove(rs)
      rs.z.members.delete(rs)
      rs.z.fresh.delete(rs)
      if (!rs.z.members.size) rs.topic.zs.delete(rs.z.key)
    }
    rs.topic.keepMs = keepOf(rs.topic)
    if (rs.topic.rules.size === 0) {
      topics.delete(rs.topic.key)
      rs.topic.close()
    }
  }

  function onTick(topic: Topic, view: LiveView, change: LiveChange | null) {
    if (topics.get(topic.key) !== topic) return
    const t0 = performance.now()
    try {
      const gap = topic.seq < 0 || (change ? view.seq !== topic.seq + 1 : view.seq !== topic.seq)
      if (gap) reseed(topic, view, change)
      if (change) applyChange(topic, change)
      topic.seq = view.seq
      closeBuckets(topic)
      for (const rs of topic.waiting) for (const e of rs.edges.values()) maybeFire(rs, e)
    } catch (error) {
      o.log.error('alert evaluation failed', { topic: topic.key, error })
    }
    o.onEvaluate?.(performance.now() - t0)
  }

  /**
   * First tick here, or ticks were missed (another replica led meanwhile): start from the
   * published rows as they were before this tick's change, which is then evaluated as usual
   * (a crossing in it fires). The state before the change was evaluated by whoever led:
   * rules already evaluated here adopt it, and on a channel's first tick here so do rules
   * that have fired before (a takeover); a rule that never fired reads it as its first value.
   */
  function reseed(topic: Topic, view: LiveView, change: LiveChange | null) {
    const first = topic.seq < 0
    topic.series.clear()
    const changed = change && new Set([...change.append, ...change.replace].map((row) => keyText(topic, row)))
    for (const row of view.rows()) if (!changed?.has(keyText(topic, row))) pointFor(topic, row)
    if (!topic.entityCols.length) entityOf(topic, [])
    for (const s of topic.series.values()) trim(topic, s)
    if (topic.lastClosed === -Infinity) topic.lastClosed = closedBucket(topic) - topic.bucketMs
    for (const rs of topic.rules.values()) {
      for (const e of rs.edges.values()) e.adopt = true
      rs.adoptFired = first
      if (!rs.closed) for (const s of topic.series.values()) observeNewest(rs, s)
      rs.adoptFired = false
    }
    for (const s of topic.series.values()) {
      const row = s.newest()?.row
      if (row) for (const col of topic.levels.keys()) if (typeof row[col] === 'number') s.seen.set(col, row[col] as number)
    }
  }

  const keyText = (topic: Topic, row: Cell[]) => JSON.stringify(topic.spec.meta.key.map((i) => row[i]))

  function applyChange(topic: Topic, change: LiveChange) {
    const touched = new Set<EntitySeries>()
    for (const row of change.append) touched.add(pointFor(topic, row))
    for (const row of change.replace) touched.add(pointFor(topic, row))
    for (const key of change.remove) dropEntity(topic, key)
    const tape = topic.spec.mode === 'tape'
    for (const s of touched) {
      trim(topic, s)
      // The tape: every new trade is an observation, in time order (a crossing inside a tick counts).
      if (tape) for (const row of change.append) observeRow(topic, s, row, timeOf(topic, row))
      else {
        const p = s.newest()
        if (p) observeRow(topic, s, p.row, p.t)
      }
    }
  }

  /**
   * A new value of an entity for the topic's open-bucket rules: of the level and change_pct rules
   * only those whose threshold lies between this value (percentage) and the last one seen (the
   * others' answers cannot have changed), every other rule. The first value of an entity goes to all.
   */
  function observeRow(topic: Topic, s: EntitySeries, row: Cell[], t: number) {
    for (const rs of topic.scan) observe(rs, s, row, t)
    for (const [col, index] of topic.levels) {
      const v = row[col]
      if (typeof v !== 'number') continue
      const prev = s.seen.get(col)
      s.seen.set(col, v)
      if (prev === undefined) index.all((rs) => observe(rs, s, row, t))
      else if (prev !== v) index.between(prev, v, (rs) => observe(rs, s, row, t))
    }
    for (const g of topic.pcts.values()) {
      const pct = pctOf(g, s, row, t)
      // Undefined (no value window_s back, or it was 0): no rule of the group can decide, as holds() says.
      if (pct === undefined) continue
      const prev = s.seenPct.get(g)
      s.seenPct.set(g, pct)
      if (prev === undefined) g.index.all((rs) => observe(rs, s, row, t))
      else if (prev !== pct) g.index.between(prev, pct, (rs) => observe(rs, s, row, t))
    }
  }

  /** The change in % of the group's column against window_s earlier, as holds() computes it for change_pct. */
  function pctOf(g: PctGroup, s: EntitySeries, row: Cell[], t: number): number | undefined {
    const v = row[g.col]
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined
    const before = s.atOrBefore(t - g.windowMs)?.row[g.col]
    if (typeof before !== 'number' || before === 0) return undefined
    const pct = ((v - before) / Math.abs(before)) * 100
    return Number.isNaN(pct) ? undefined : pct
  }

  /** Closed-bucket rules: once per bucket, when its end has passed (plus a little lateness). */
  function closeBuckets(topic: Topic) {
    if (topic.spec.mode !== 'series') return
    const closed = closedBucket(topic)
    if (closed <= topic.lastClosed) return
    topic.lastClosed = closed
    const rules = topic.closedRules
    if (!rules.size && !topic.zs.size) return
    for (const s of topic.series.values()) {
      const p = s.at(closed)
      for (const rs of rules) {
        if (p) observe(rs, s, p.row, closed)
        else if (isAdditive(rs.condition.column)) observe(rs, s, null, closed)
      }
      for (const g of topic.zs.values()) closeZ(g, s, p?.row, closed)
    }
    for (const g of topic.zs.values()) g.fresh.clear()
  }

  /** A closed bucket of one entity for a group of anomaly rules (ZGroup). */
  function closeZ(g: ZGroup, s: EntitySeries, row: Cell[] | undefined, closed: number) {
    const column = anyOf(g).rule.condition.column
    if (!row && !isAdditive(column)) return
    const r = row ?? null
    for (const rs of g.fresh) observe(rs, s, r, closed)
    const value = row ? row[g.col] : 0
    if (typeof value !== 'number' || !Number.isFinite(value)) return
    const z = zScore(value, anyOf(g).band?.get(s.key))
    // No band yet, or too short a history: no rule of the group can decide (holds() says undefined).
    if (z === undefined) return
    const d = turned(z, g.direction)
    const prev = s.seenZ.get(g)
    s.seenZ.set(g, d)
    if (prev === undefined) g.index.all((rs) => observe(rs, s, r, closed))
    else if (prev !== d) g.index.between(prev, d, (rs) => observe(rs, s, r, closed))
  }

  /** Any member of the group: they share the band and the column. */
  const anyOf = (g: ZGroup): RuleState => g.members.values().next().value!

  function closedBucket(topic: Topic): number {
    const width = topic.bucketMs
    const grace = Math.min(width / 2, 2000)
    return Math.floor((now() - grace) / width) * width - width
  }

  function observeNewest(rs: RuleState, s: EntitySeries) {
    const p = s.newest()
    if (p) observe(rs, s, p.row, p.t)
  }

  /** One value for one rule: updates its edge for this entity and fires on a new episode. */
  function observe(rs: RuleState, s: EntitySeries, row: Cell[] | null, t: number) {
    const value = row ? row[rs.col] : 0
    if (typeof value !== 'number' || !Number.isFinite(value)) return
    const c = rs.condition
    const before = rs.windowMs ? valueAt(rs, s, t - rs.windowMs) : undefined
    const band = rs.band?.get(s.key)
    const h = holds(c, value, before, band)
    observations++
    if (h === undefined) return
    // Plain field writes: this runs for every rule on every tick.
    const e = edgeOf(rs, s)
    e.entity = s
    if (e.adopt) {
      e.adopt = false
      e.armed ||= !h
      e.holding = e.fired = h
      e.since = now()
      e.value = value
      e.at = t
      return
    }
    if (!h) {
      e.holding = e.fired = false
      e.armed = true
      return
    }
    e.value = value
    e.at = t
    if (!e.holding) {
      e.holding = true
      e.since = now()
      e.fired = needsArming(c) && !e.armed
    }
    maybeFire(rs, e)
  }

  function valueAt(rs: RuleState, s: EntitySeries, t: number): number | undefined {
    const p = s.atOrBefore(t)
    const v = p?.row[rs.col]
    return typeof v === 'number' ? v : undefined
  }

  function edgeOf(rs: RuleState, s: EntitySeries): Edge {
    let e = rs.edges.get(s.key)
    if (!e) {
      const lastFiredAt = o.lastFired?.(rs.rule.id, s.key) ?? 0
      e = { holding: false, since: 0, fired: false, armed: false, lastFiredAt, adopt: !!rs.adoptFired && lastFiredAt > 0, entity: s, value: 0, at: 0 }
      rs.edges.set(s.key, e)
    }
    return e
  }

  function maybeFire(rs: RuleState, e: Edge) {
    if (!e.holding || e.fired) return
    const t = now()
    const r = rs.rule
    if (t - e.since < r.for_s * 1000) return
    e.fired = true
    if (rs.inactive) return
    if (r.access.expiresAt <= t) {
      rs.inactive = 'the token that saved the rule has expired'
      return void o.log.info('alert rule not fired: its access expired', { rule: r.id })
    }
    if (revoked(r)) {
      rs.inactive = 'the token that saved the rule was revoked'
      return void o.log.info('alert rule not fired: the token that saved it was revoked', { rule: r.id })
    }
    if (r.muted || r.snoozedUntil > t || t - e.lastFiredAt < r.cooldown_s * 1000) return
    e.lastFiredAt = t
    o.onFire({
      id: randomUUID(), seq: 0, owner: r.owner, ruleId: r.id, ruleName: r.name, channel: r.channel, params: r.params,
      entity: e.entity.entity, condition: r.condition, value: e.value, at: e.at, firedAt: t,
    }, r)
  }

  function pointFor(topic: Topic, row: Cell[]): EntitySeries {
    const s = entityOf(topic, topic.entityCols.map((i) => row[i]))
    const t = timeOf(topic, row)
    if (topic.spec.mode === 'series') s.upsert(t, row)
    else s.push(t, row)
    return s
  }

  /** Row time; table channels have none, so their points are stamped when seen. */
  const timeOf = (topic: Topic, row: Cell[]) => (topic.spec.meta.time >= 0 ? (row[topic.spec.meta.time] as number) : now())

  function entityOf(topic: Topic, values: Cell[]): EntitySeries {
    const key = JSON.stringify(values)
    let s = topic.series.get(key)
    if (!s) {
      const names = topic.entityCols.map((i) => topic.spec.meta.columns[i])
      s = new EntitySeries(key, Object.fromEntries(names.map((n, i) => [n, values[i] as string | number])))
      topic.series.set(key, s)
    }
    return s
  }

  /** A removed table row (REMOVE lists key cells): its entity and every rule's edge on it go. */
  function dropEntity(topic: Topic, key: Cell[]) {
    const cols = topic.spec.meta.key
    const values = topic.entityCols.map((i) => key[cols.indexOf(i)])
    const k = JSON.stringify(values)
    topic.series.delete(k)
    for (const rs of topic.rules.values()) rs.edges.delete(k)
  }

  /** Keeps what the topic's rules can look back to (topic.keepMs). */
  function trim(topic: Topic, s: EntitySeries) {
    const newest = s.newest()
    if (newest) s.trimBefore(newest.t - topic.keepMs)
  }

  function keepOf(topic: Topic) {
    let keepMs = 3 * topic.bucketMs + 5000
    for (const rs of topic.rules.values()) keepMs = Math.max(keepMs, rs.windowMs + 2 * topic.bucketMs)
    return keepMs
  }

  return {
    upsert(rule) {
      const existing = byRule.get(rule.id)
      if (existing && definitionOf(existing.rule) === definitionOf(rule)) {
        existing.rule = rule
        // Saved again with a current token: an access that had expired is renewed.
        if (rule.access.expiresAt > now() && !revoked(rule)) existing.inactive = undefined
        return
      }
      remove(rule.id)
      add(rule)
    },
    remove,
    has: (id) => byRule.has(id),
    stats: () => ({ rules: byRule.size, topics: topics.size, inactive: [...byRule.values()].filter((r) => r.inactive).length, observations }),
    stop() {
      for (const t of topics.values()) t.close()
      topics.clear()
      byRule.clear()
    },
  }
}
