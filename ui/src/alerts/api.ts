// The alerts API (docs/api.md#alerts) as the UI calls it.
import { api } from '../api.ts'

export interface Condition {
  column: string
  op: string
  value: number
  window_s?: number
  bucket?: 'open' | 'closed'
  direction?: 'above' | 'below' | 'both'
}

export interface RuleJson {
  id: string
  name: string
  channel: string
  params: Record<string, unknown>
  condition: Condition
  for_s: number
  cooldown_s: number
  notify: { type: 'webhook'; url: string; secret: string }[]
  muted: boolean
  snoozed_until: string | null
  acked_at: string | null
  version: number
}

export interface RuleBody {
  name: string
  channel: string
  params: Record<string, unknown>
  condition: Condition
  for_s?: number
  cooldown_s?: number
  notify?: { type: 'webhook'; url: string }[]
}

const base = '/api/v1/alerts/rules'
export const alertsApi = {
  rules: async () => (await api.get<{ rules: RuleJson[] }>(base)).rules,
  create: async (body: RuleBody) => (await api.send<RuleJson>('POST', base, body))!,
  remove: (id: string) => api.send('DELETE', `${base}/${id}`),
  ack: async (id: string) => (await api.send<RuleJson>('POST', `${base}/${id}/ack`))!,
  snooze: async (id: string, seconds: number) => (await api.send<RuleJson>('POST', `${base}/${id}/snooze`, { for_s: seconds }))!,
  mute: async (id: string, muted: boolean) => (await api.send<RuleJson>('POST', `${base}/${id}/${muted ? 'mute' : 'unmute'}`))!,
}
