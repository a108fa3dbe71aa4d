// Checks a rule against its live channel and the caller: the channel exists, its params
// parse, the caller may watch it, the column is a number, the op fits. Bad rules are
// 400 INVALID_RULE naming the field; a channel outside the token's entitlements is 403.
import { ZodError, type core } from 'zod'
import { AppError } from '../../core/errors.ts'
import * as access from '../access.ts'
import { type Principal } from '../../core/roles.ts'
import type { ChannelSpec } from '../live/channels.ts'
import { anomalyColumns } from './anomaly-sql.ts'
import { numericColumns } from './columns.ts'
import { type Access, type RuleInput } from './schema.ts'
import { checkWebhookUrl, type AddressPolicy } from './ssrf.ts'

export interface Issue {
  path: string
  message: string
}

export const invalid = (issues: Issue[]) =>
  new AppError(400, 'INVALID_RULE', `the rule is not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`.slice(0, 500), { details: issues })

/** zod's issues as INVALID_RULE's `details` (a body that fails the rule schema: routes.ts). */
export const zodIssues = (issues: readonly core.$ZodIssue[], prefix = ''): Issue[] =>
  issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || prefix || 'body', message: i.message }))

/** The channel's parsed params for `principal` (throws 400 naming params.<field>, or 403). */
export function parseParams(spec: ChannelSpec, params: Record<string, unknown>, principal: Principal): unknown {
  let parsed: unknown
  try {
    parsed = spec.parse(params, principal)
  } catch (e) {
    if (e instanceof ZodError) throw invalid(zodIssues(e.issues, 'params'))
    throw invalid([{ path: 'params', message: 'not valid for this channel' }])
  }
  // The channel's role (FORBIDDEN) and its symbol or shop (NOT_ENTITLED), as a WebSocket SUBSCRIBE is judged.
  const verdict = access.channel(principal, spec.name, parsed as Record<string, unknown>)
  if (!verdict.ok) access.enforce({ ...verdict, message: `${spec.name} channel: ${verdict.message}`, details: { ...verdict.details, path: 'params' } })
  return parsed
}

/** Everything about a rule that needs its channel: 400/403 as above. */
export async function checkRule(input: RuleInput, principal: Principal, channels: ReadonlyMap<string, ChannelSpec>, policy: AddressPolicy): Promise<void> {
  const spec = channels.get(input.channel)
  if (!spec) throw invalid([{ path: 'channel', message: `unknown channel; one of ${[...channels.keys()].join(', ')}` }])
  parseParams(spec, input.params, principal)
  const issues = conditionIssues(input, spec)
  for (const [i, n] of input.notify.entries()) {
    const problem = await checkWebhookUrl(n.url, policy)
    if (problem) issues.push({ path: `notify.${i}.url`, message: problem })
  }
  if (issues.length) throw invalid(issues)
}

function conditionIssues(input: RuleInput, spec: ChannelSpec): Issue[] {
  const c = input.condition
  const issues: Issue[] = []
  const columns = numericColumns(spec)
  if (!columns.includes(c.column)) issues.push({ path: 'condition.column', message: `not a numeric column of ${spec.name}; one of ${columns.join(', ')}` })
  const pct = c.op === 'change_pct_above' || c.op === 'change_pct_below'
  if (pct && c.window_s === undefined) issues.push({ path: 'condition.window_s', message: `required by ${c.op}` })
  if (!pct && c.window_s !== undefined) issues.push({ path: 'condition.window_s', message: 'only for change_pct_above and change_pct_below' })
  if (c.op !== 'anomaly' && (c.direction !== undefined || c.days !== undefined)) issues.push({ path: 'condition.direction', message: 'direction and days are only for anomaly' })
  if (c.op === 'anomaly') {
    const supported = anomalyColumns(spec.name)
    if (!supported.includes(c.column)) issues.push({ path: 'condition.column', message: supported.length ? `anomaly bands exist for ${supported.join(', ')}` : `no anomaly band for the ${spec.name} channel` })
    if (!(c.value > 0)) issues.push({ path: 'condition.value', message: 'anomaly takes a z-score above 0' })
    if (c.bucket === 'open') issues.push({ path: 'condition.bucket', message: 'anomaly compares closed buckets' })
  }
  if (c.bucket !== undefined && spec.mode !== 'series') issues.push({ path: 'condition.bucket', message: `${spec.name} has no buckets` })
  return issues
}

/** What a token allows, kept with the rule so it can be checked again when the rule fires. */
export function accessOf(p: Principal, expiresAt: number): Access {
  const scope = (s: Principal['symbols']) => (s === '*' ? '*' : [...s].sort())
  return { roles: [...p.roles].sort(), symbols: scope(p.symbols), shops: scope(p.shops), expiresAt, ...(p.jti !== undefined && { jti: p.jti }) }
}

export function principalOf(owner: string, a: Access): Principal {
  return { sub: owner, roles: new Set(a.roles), symbols: a.symbols === '*' ? '*' : new Set(a.symbols), shops: a.shops === '*' ? '*' : new Set(a.shops) }
}
