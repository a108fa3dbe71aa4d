// The alerts API (docs/api.md#alerts) as the UI calls it.
import type { z } from 'zod'
import type { Condition, ruleInputSchema, ruleJson } from '../../../api/alerts/schema.ts'
import { api } from '../api.ts'

// The shapes the server defines (api/alerts/schema.ts): the JSON it answers and the body it takes.
export type { Condition }
export type RuleJson = ReturnType<typeof ruleJson>
export type RuleBody = z.input<typeof ruleInputSchema>

const base = '/api/v1/alerts/rules'
export const alertsApi = {
  rules: async () => (await api.get<{ rules: RuleJson[] }>(base)).rules,
  create: async (body: RuleBody) => (await api.send<RuleJson>('POST', base, body))!,
  remove: (id: string) => api.send('DELETE', `${base}/${id}`),
  ack: async (id: string) => (await api.send<RuleJson>('POST', `${base}/${id}/ack`))!,
  snooze: async (id: string, seconds: number) => (await api.send<RuleJson>('POST', `${base}/${id}/snooze`, { for_s: seconds }))!,
  mute: async (id: string, muted: boolean) => (await api.send<RuleJson>('POST', `${base}/${id}/${muted ? 'mute' : 'unmute'}`))!,
}
