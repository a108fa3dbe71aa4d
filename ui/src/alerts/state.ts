// The page's alerts: the signed-in user's rules (REST) and fired alerts (the `alerts`
// channel on the live socket), the unread count, and the rule form's prefill.
import { createMemo, createSignal } from 'solid-js'
import type { Cell } from '../../../api/protocol/index.ts'
import { useChannel } from '../live/use-channel.ts'
import { alertsApi, type Condition, type RuleJson } from './api.ts'

/** What "alert me" on a chart or KPI fills the rule form with. */
export interface RulePrefill {
  channel: string
  params: Record<string, unknown>
  column: string
  op?: Condition['op']
  value?: number
  name?: string
  bucket?: Condition['bucket']
  direction?: Condition['direction']
}

/** One row of the `alerts` channel, by name (columns in docs/protocol.md). */
export interface AlertRow {
  t: number
  id: string
  ruleId: string
  ruleName: string
  value: number
  channel: string
  params: Record<string, unknown>
  entity: Record<string, unknown>
  column: string
  op: string
  threshold: number
}

const [prefill, setPrefill] = createSignal<RulePrefill>()
export { prefill }
export const openRuleForm = (p: RulePrefill) => setPrefill({ ...p })
export const closeRuleForm = () => setPrefill(undefined)

const [rules, setRules] = createSignal<RuleJson[]>([])
const [rulesError, setRulesError] = createSignal<string>()
/** Whether the rules were asked for once (answered or failed): before that, no alert's ack time is known. */
const [rulesAsked, setRulesAsked] = createSignal(false)
export { rules, rulesError }

export async function refreshRules() {
  try {
    setRules(await alertsApi.rules())
    setRulesError(undefined)
  } catch (e) {
    setRulesError((e as Error).message)
  } finally {
    setRulesAsked(true)
  }
}

/** Applies a rule the API answered with (create, ack, snooze, mute). */
export function putRule(r: RuleJson) {
  setRules((list) => [r, ...list.filter((x) => x.id !== r.id)])
}

export const dropRule = (id: string) => setRules((list) => list.filter((x) => x.id !== id))

const parse = (v: Cell) => {
  try {
    return JSON.parse(String(v)) as Record<string, unknown>
  } catch {
    return {}
  }
}

const toAlert = (r: Cell[]): AlertRow => ({
  t: r[0] as number, id: String(r[1]), ruleId: String(r[3]), ruleName: String(r[4]), value: Number(r[5]), channel: String(r[6]),
  params: parse(r[7]), entity: parse(r[8]), column: String(r[9]), op: String(r[10]), threshold: Number(r[11]),
})

/** The fired alerts, newest first, and how many are newer than their rule's last ack. Call once (the bell). */
export function useAlerts() {
  const store = useChannel('alerts', () => ({}), { maxRows: 200 })
  const alerts = createMemo(() => {
    const s = store()
    s?.version()
    return (s?.list() ?? []).map(toAlert).sort((a, b) => b.t - a.t)
  })
  const ackedAt = createMemo(() => new Map(rules().map((r) => [r.id, r.acked_at ? Date.parse(r.acked_at) : 0])))
  // The alerts come over the live socket, their rules' ack times over REST: after a reload the
  // alerts are often in first, and counting them before the acks are known flashed old alerts as new.
  const isUnread = (a: AlertRow) => rulesAsked() && a.t > (ackedAt().get(a.ruleId) ?? 0)
  const unread = createMemo(() => alerts().filter(isUnread).length)
  return { store, alerts, unread, isUnread }
}
