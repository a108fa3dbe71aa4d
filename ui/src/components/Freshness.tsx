import { now } from '../theme.ts'
import { age, freshnessLevel } from '../format.ts'

/** How old the newest point of a live widget is: lag on screen instead of guessed. */
export function Freshness(props: { at: () => number }) {
  const ms = () => (props.at() > 0 ? now() - props.at() : NaN)
  return (
    <span class={`freshness ${freshnessLevel(ms())}`} title="time from the newest data point to now" data-testid="freshness" data-at={props.at() || undefined}>
      {Number.isNaN(ms()) ? 'waiting…' : `${age(ms())} old`}
    </span>
  )
}
