// What an alert rule is, as the API takes it and as the evaluator runs it. The channel
// and params are those of a live channel (docs/protocol.md): a rule watches exactly what
// a chart shows. Checks that need the channel (its columns, the caller's entitlements)
// are in rules.ts; this file is the shape.
import { z } from 'zod'
import type { Role } from '../../core/roles.ts'

export const ops = ['>', '<', '>=', '<=', 'crosses_above', 'crosses_below', 'change_pct_above', 'change_pct_below', 'anomaly'] as const
export type Op = (typeof ops)[number]

const finite = z.number().refine(Number.isFinite, 'expected a finite number')

export const conditionSchema = z.object({
  /** A numeric column of the channel (its `meta.columns`). */
  column: z.string().min(1).max(64),
  op: z.enum(ops),
  /** The level (>, <, crosses), the percent change (change_pct), or the z-score (anomaly, > 0). */
  value: finite,
  /** change_pct_*: the change over this many seconds. */
  window_s: z.number().int().min(1).max(86_400).optional(),
  /** Series channels: `open` reads the newest bucket (still filling), `closed` the bucket that just ended. */
  bucket: z.enum(['open', 'closed']).optional(),
  /** anomaly: which side of the usual band fires. */
  direction: z.enum(['above', 'below', 'both']).optional(),
  /** anomaly: days of the same hour's history the band is computed from. */
  days: z.number().int().min(1).max(28).optional(),
}).strict()
export type Condition = z.infer<typeof conditionSchema>

export const notifySchema = z.object({
  type: z.literal('webhook'),
  url: z.string().min(1).max(2048),
  /** HMAC-SHA256 key of the signature header; generated when absent. */
  secret: z.string().min(16).max(256).optional(),
}).strict()
export type Notify = z.infer<typeof notifySchema>

export const ruleInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  channel: z.string().min(1).max(64),
  params: z.record(z.string().max(64), z.unknown()).default({}),
  condition: conditionSchema,
  for_s: z.number().int().min(0).max(86_400).default(0),
  cooldown_s: z.number().int().min(0).max(7 * 86_400).default(60),
  notify: z.array(notifySchema).max(5).default([]),
  /** PUT: the version the client loaded; a stale one is refused (409). */
  version: z.number().int().positive().optional(),
}).strict()
export type RuleInput = z.infer<typeof ruleInputSchema>

/** The roles and entitlements of the token that last saved a rule, and when that token expires. */
export interface Access {
  roles: Role[]
  symbols: string[] | '*'
  shops: string[] | '*'
  /** Epoch ms; a rule stops firing after it until saved again with a current token. */
  expiresAt: number
  /** The saving token's id: once it is revoked the rule stops firing too (rules saved before this field have none). */
  jti?: string
}

export interface Rule {
  id: string
  owner: string
  name: string
  channel: string
  params: Record<string, unknown>
  condition: Condition
  for_s: number
  cooldown_s: number
  notify: Required<Notify>[]
  access: Access
  muted: boolean
  /** Epoch ms, or 0: no alert fires before it. */
  snoozedUntil: number
  /** Epoch ms, or 0: alerts fired at or before it are acknowledged. */
  ackedAt: number
  version: number
  createdAt: number
  updatedAt: number
}

/** One fired alert: what the history table stores and every delivery carries. */
export interface Alert {
  id: string
  /** Delivery order (µs since the epoch at recording, increasing per gateway); the SSE event id. */
  seq: number
  owner: string
  ruleId: string
  ruleName: string
  channel: string
  params: Record<string, unknown>
  /** Values of the row's key columns besides time (e.g. `{currency: 'EUR'}`); `{}` for single-series channels. */
  entity: Record<string, string | number>
  condition: Condition
  value: number
  /** Time of the row the value came from (epoch ms; the bucket start for series channels). */
  at: number
  firedAt: number
}

/** The public JSON of an alert (API, SSE, WebSocket channel, webhooks). */
export function alertJson(a: Alert) {
  return {
    id: a.id, seq: a.seq, rule_id: a.ruleId, rule_name: a.ruleName, channel: a.channel, params: a.params, entity: a.entity,
    condition: a.condition, value: a.value, at: new Date(a.at).toISOString(), fired_at: new Date(a.firedAt).toISOString(),
  }
}

/** The public JSON of a rule (its owner's view). */
export function ruleJson(r: Rule) {
  const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null)
  return {
    id: r.id, name: r.name, channel: r.channel, params: r.params, condition: r.condition, for_s: r.for_s, cooldown_s: r.cooldown_s,
    notify: r.notify, muted: r.muted, snoozed_until: iso(r.snoozedUntil), acked_at: iso(r.ackedAt),
    access_expires_at: iso(r.access.expiresAt), version: r.version, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt),
  }
}
