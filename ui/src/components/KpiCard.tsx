import { Show, type JSX } from 'solid-js'
import { AlertMeButton } from '../alerts/AlertMe.tsx'
import type { RulePrefill } from '../alerts/state.ts'

/** One figure with a line under it (growth, detail) and an optional sparkline. */
export function KpiCard(props: {
  label: string
  value: string
  sub: string
  /** A second line under the figure (what it is made of). */
  detail?: string
  /** Colours the line under the figure. */
  tone?: 'up' | 'down' | 'bad'
  loading: boolean
  error?: string
  testid?: string
  children?: JSX.Element
  /** Shows "alert me", opening the rule form with what this returns. */
  alertMe?: () => RulePrefill | undefined
}) {
  return (
    <section class="kpi panel" aria-label={props.label}>
      <h2>{props.label}</h2>
      <Show when={!props.error} fallback={<p class="error" role="alert">{props.error}</p>}>
        <p class="value" aria-busy={props.loading} data-testid={props.testid}>{props.loading ? '…' : props.value}</p>
        <p class={`growth ${props.tone ?? ''}`}>{props.loading ? '\u00a0' : props.sub}</p>
        <Show when={props.detail && !props.loading}><p class="detail" data-testid={props.testid && `${props.testid}-detail`}>{props.detail}</p></Show>
      </Show>
      {props.children}
      <Show when={props.alertMe}>{(f) => <AlertMeButton prefill={f()} label={`Alert me: ${props.label}`} />}</Show>
    </section>
  )
}
