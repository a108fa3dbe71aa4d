import { createEffect, createSignal, For, Show } from 'solid-js'
import { alertsApi, type Condition, type RuleBody } from './api.ts'
import { describeChannel, numericColumns, ops } from './columns.ts'
import { closeRuleForm, prefill, putRule, type RulePrefill } from './state.ts'
import './alerts.css'

/** The rule form "alert me" opens, prefilled with what the chart or KPI shows. */
export function RuleFormDialog() {
  let dialog!: HTMLDialogElement
  createEffect(() => {
    if (prefill() && !dialog.open) dialog.showModal()
    if (!prefill() && dialog.open) dialog.close()
  })
  return (
    <dialog ref={dialog} class="rule-dialog" aria-label="New alert rule" onClose={closeRuleForm}>
      <Show when={prefill()} keyed>{(p) => <RuleForm prefill={p} />}</Show>
    </dialog>
  )
}

function RuleForm(props: { prefill: RulePrefill }) {
  const p = props.prefill
  const [column, setColumn] = createSignal(p.column)
  const [op, setOp] = createSignal<Condition['op']>(p.op ?? '>')
  const [value, setValue] = createSignal(p.value === undefined ? '' : String(round(p.value)))
  const [name, setName] = createSignal(p.name ?? '')
  const [windowS, setWindowS] = createSignal('60')
  const [cooldownS, setCooldownS] = createSignal('60')
  const [forS, setForS] = createSignal('0')
  const [webhook, setWebhook] = createSignal('')
  const [error, setError] = createSignal<string>()
  const [saving, setSaving] = createSignal(false)
  const label = () => ops.find((o) => o.op === op())?.label ?? op()
  const defaultName = () => `${describeChannel(p.channel, p.params)} ${column()} ${label()} ${value()}`

  const submit = async (e: Event) => {
    e.preventDefault()
    setSaving(true)
    const pct = op().startsWith('change_pct')
    const body: RuleBody = {
      name: name().trim() || defaultName(), channel: p.channel, params: p.params,
      condition: {
        column: column(), op: op(), value: Number(value()),
        ...(pct && { window_s: Number(windowS()) }),
        ...(p.bucket && op() !== 'anomaly' && { bucket: p.bucket }),
        ...(op() === 'anomaly' && { direction: p.direction ?? 'both' }),
      },
      cooldown_s: Number(cooldownS()), for_s: Number(forS()),
      ...(webhook().trim() && { notify: [{ type: 'webhook' as const, url: webhook().trim() }] }),
    }
    try {
      putRule(await alertsApi.create(body))
      closeRuleForm()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setSaving(false)
    }
  }

  return (
    <form class="rule-form" onSubmit={submit} data-testid="rule-form">
      <h2>Alert me</h2>
      <p class="muted" data-testid="rule-channel">{describeChannel(p.channel, p.params)}</p>
      <label>Name <input value={name()} placeholder={defaultName()} onInput={(e) => setName(e.currentTarget.value)} maxLength={200} /></label>
      <div class="rule-row">
        <label>When <select value={column()} onChange={(e) => setColumn(e.currentTarget.value)} aria-label="Column">
          <For each={numericColumns[p.channel] ?? [p.column]}>{(c) => <option value={c}>{c}</option>}</For>
        </select></label>
        <label>Condition <select value={op()} onChange={(e) => setOp(e.currentTarget.value as Condition['op'])} aria-label="Condition">
          <For each={ops}>{(o) => <option value={o.op}>{o.label}</option>}</For>
        </select></label>
        <label>Value <input type="number" step="any" required value={value()} onInput={(e) => setValue(e.currentTarget.value)} aria-label="Value" /></label>
      </div>
      <div class="rule-row">
        <Show when={op().startsWith('change_pct')}>
          <label>Over (s) <input type="number" min="1" max="86400" required value={windowS()} onInput={(e) => setWindowS(e.currentTarget.value)} /></label>
        </Show>
        <label>Holds for (s) <input type="number" min="0" max="86400" value={forS()} onInput={(e) => setForS(e.currentTarget.value)} /></label>
        <label>Cooldown (s) <input type="number" min="0" max="604800" value={cooldownS()} onInput={(e) => setCooldownS(e.currentTarget.value)} /></label>
      </div>
      <label>Webhook URL (optional, Slack-compatible) <input type="url" value={webhook()} placeholder="https://hooks.slack.com/services/…" onInput={(e) => setWebhook(e.currentTarget.value)} /></label>
      <Show when={error()}><p class="error" role="alert">{error()}</p></Show>
      <div class="rule-row end">
        <button type="button" onClick={closeRuleForm}>Cancel</button>
        <button type="submit" class="primary" disabled={saving()}>Create rule</button>
      </div>
    </form>
  )
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v * 100) / 100 : Number(v.toPrecision(6)))
