import { Show } from 'solid-js'
import { live } from '../live/context.ts'
import { signOut } from '../session.ts'

const labels = { idle: 'idle', connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', unauthorized: 'token refused' }

/** Connection state of the live socket, announced to screen readers when it changes. */
export function Status() {
  return (
    <Show when={live()}>
      {(c) => (
        <span class={`status ${c().state()}`} role="status" aria-live="polite" data-testid="connection" data-state={c().state()}>
          <span class="dot" aria-hidden="true" />
          {labels[c().state()]}
          <Show when={c().state() === 'reconnecting' && c().retryInMs() > 0}> (retry in {Math.ceil(c().retryInMs() / 1000)} s)</Show>
          <Show when={c().state() === 'unauthorized'}> <button type="button" onClick={signOut}>Sign in again</button></Show>
        </span>
      )}
    </Show>
  )
}
