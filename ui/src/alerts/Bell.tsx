import { createEffect, createSignal, For, onCleanup, onMount, Show } from 'solid-js'
import { num, time } from '../format.ts'
import { alertsApi } from './api.ts'
import { BellIcon } from './BellIcon.tsx'
import { describeChannel, ops } from './columns.ts'
import { dropRule, putRule, refreshRules, rules, rulesError, useAlerts, type AlertRow } from './state.ts'
import './alerts.css'

/** The header's bell: unread alerts on every view, and the panel to read, ack and snooze them. */
export function AlertsBell() {
  const { alerts, unread, isUnread } = useAlerts()
  const [open, setOpen] = createSignal(false)
  onMount(() => void refreshRules())
  // An alert of a rule not listed yet (made in another tab): fetch the rules once for it.
  const asked = new Set<string>()
  createEffect(() => {
    const known = new Set(rules().map((r) => r.id))
    const missing = alerts().filter((a) => !known.has(a.ruleId) && !asked.has(a.ruleId))
    if (!missing.length) return
    for (const a of missing) asked.add(a.ruleId)
    void refreshRules()
  })
  let root!: HTMLDivElement
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false)
  const onClick = (e: MouseEvent) => open() && !root.contains(e.target as Node) && setOpen(false)
  document.addEventListener('keydown', onKey)
  document.addEventListener('click', onClick)
  onCleanup(() => (document.removeEventListener('keydown', onKey), document.removeEventListener('click', onClick)))
  return (
    <div class="alerts-bell" ref={root}>
      <button type="button" class="icon bell" data-testid="alerts-bell" aria-expanded={open()} aria-label={`Alerts, ${unread()} unread`} onClick={() => setOpen(!open())}>
        <BellIcon />
        <Show when={unread() > 0}><span class="badge" data-testid="alerts-unread">{unread() > 99 ? '99+' : unread()}</span></Show>
      </button>
      <Show when={open()}>
        <AlertsPanel alerts={alerts()} isUnread={isUnread} />
      </Show>
    </div>
  )
}

const opLabel = (op: string) => ops.find((o) => o.op === op)?.label ?? op

function AlertsPanel(props: { alerts: AlertRow[]; isUnread: (a: AlertRow) => boolean }) {
  const [error, setError] = createSignal<string>()
  const [tab, setTab] = createSignal<'alerts' | 'rules'>('alerts')
  const act = (f: () => Promise<unknown>) => f().then(() => setError(undefined), (e: Error) => setError(e.message))
  const entity = (a: AlertRow) => Object.values(a.entity).join(' ')
  return (
    <section class="alerts-panel panel" aria-label="Alerts" data-testid="alerts-panel">
      <header>
        <h2>Alerts</h2>
        <div class="segmented" role="group" aria-label="Show">
          <button type="button" aria-pressed={tab() === 'alerts'} onClick={() => setTab('alerts')}>Fired</button>
          <button type="button" aria-pressed={tab() === 'rules'} onClick={() => setTab('rules')}>Rules ({rules().length})</button>
        </div>
      </header>
      <Show when={error() ?? rulesError()}><p class="error" role="alert">{error() ?? rulesError()}</p></Show>
      <Show when={tab() === 'alerts'}>
        <Show when={props.alerts.length} fallback={<p class="empty">No alerts yet. “Alert me” on a chart or KPI makes a rule.</p>}>
          <ul class="alert-list">
            <For each={props.alerts.slice(0, 50)}>
              {(a) => (
                <li data-testid="alert-item" classList={{ unread: props.isUnread(a) }}>
                  <div>
                    <b>{a.ruleName}</b> <span class="muted">{describeChannel(a.channel, a.params)} {entity(a)}</span>
                    <div><span class="muted">{a.column} {opLabel(a.op)} {num(a.threshold, 6)}:</span> <b data-testid="alert-value">{num(a.value, 6)}</b> <span class="muted">at {time(a.t)} UTC</span></div>
                  </div>
                  <div class="alert-actions">
                    <button type="button" disabled={!props.isUnread(a)} onClick={() => act(async () => putRule(await alertsApi.ack(a.ruleId)))}>Ack</button>
                    <button type="button" title="No alerts from this rule for an hour" onClick={() => act(async () => putRule(await alertsApi.snooze(a.ruleId, 3600)))}>Snooze 1 h</button>
                  </div>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
      <Show when={tab() === 'rules'}>
        <Show when={rules().length} fallback={<p class="empty">No rules yet.</p>}>
          <ul class="alert-list">
            <For each={rules()}>
              {(r) => (
                <li data-testid="rule-item">
                  <div>
                    <b>{r.name}</b> <span class="muted">{describeChannel(r.channel, r.params)}</span>
                    <div class="muted">{r.condition.column} {opLabel(r.condition.op)} {num(r.condition.value, 6)}{r.snoozed_until && Date.parse(r.snoozed_until) > Date.now() ? ` · snoozed until ${time(Date.parse(r.snoozed_until))} UTC` : ''}</div>
                  </div>
                  <div class="alert-actions">
                    <button type="button" aria-pressed={r.muted} onClick={() => act(async () => putRule(await alertsApi.mute(r.id, !r.muted)))}>{r.muted ? 'Muted' : 'Mute'}</button>
                    <button type="button" onClick={() => act(async () => (await alertsApi.remove(r.id), dropRule(r.id)))}>Delete</button>
                  </div>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </section>
  )
}
