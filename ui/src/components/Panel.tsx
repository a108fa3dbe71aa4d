import { Show, type JSX } from 'solid-js'

/** A widget frame: title, actions, and its loading and error states. */
export function Panel(props: { title: string; actions?: JSX.Element; loading?: boolean; error?: string; class?: string; children: JSX.Element; testid?: string }) {
  return (
    <section class={`panel ${props.class ?? ''}`} aria-label={props.title} data-testid={props.testid}>
      <header>
        <h2>{props.title}</h2>
        <div class="actions">{props.actions}</div>
      </header>
      <Show when={props.error}>
        <p class="error" role="alert">{props.error}</p>
      </Show>
      <Show when={props.loading && !props.error}>
        <p class="loading" aria-live="polite">Loading…</p>
      </Show>
      <div class="body" hidden={props.loading && !props.error ? true : undefined}>{props.children}</div>
    </section>
  )
}
