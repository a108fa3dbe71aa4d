import { BellIcon } from './BellIcon.tsx'
import { openRuleForm, type RulePrefill } from './state.ts'

/** The "alert me" button of a chart or KPI: opens the rule form with what it shows. */
export function AlertMeButton(props: { prefill: () => RulePrefill | undefined; label?: string }) {
  return (
    <button type="button" class="alert-me" data-testid="alert-me" aria-label={props.label ?? 'Alert me'} title="Alert me when this crosses a level"
      onClick={() => {
        const p = props.prefill()
        if (p) openRuleForm(p)
      }}>
      <BellIcon /> Alert me
    </button>
  )
}
