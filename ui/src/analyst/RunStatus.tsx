import { Match, Switch } from 'solid-js'
import { compact, int, num } from '../format.ts'
import type { RunView } from './runner.ts'

const seconds = (ms: number) => `${num(ms / 1000, ms < 10_000 ? 2 : 1)} s`
const bytes = (b: number) => (b >= 1e9 ? `${num(b / 1e9, 1)} GB` : b >= 1e6 ? `${num(b / 1e6, 1)} MB` : b >= 1e3 ? `${num(b / 1e3, 1)} kB` : `${int(b)} B`)

/** Row count, elapsed time and what the engine read, for the run in progress or the last one. */
export function RunStatus(props: { runner: RunView; maxRows: number }) {
  const r = props.runner
  const count = () => (r.version(), r.rows().length)
  const read = () => {
    const p = r.progress()
    return p && p.readRows > 0 ? ` · ${compact(p.readRows)} rows read, ${bytes(p.readBytes)}` : ''
  }
  const server = () => {
    const ns = r.progress()?.elapsedNs
    return ns ? ` (engine ${seconds(ns / 1e6)})` : ''
  }
  return (
    <small class="run-status" data-testid="sql-summary" data-state={r.status()} data-rows={count()} aria-live="polite">
      <Switch>
        <Match when={r.status() === 'running'}>Running… {seconds(r.elapsedMs())} · {int(count())} rows{read()}</Match>
        <Match when={r.status() === 'cancelled'}>Cancelled after {seconds(r.elapsedMs())} · {int(count())} rows received</Match>
        <Match when={r.status() === 'error'}>Failed after {seconds(r.elapsedMs())}</Match>
        <Match when={r.status() === 'done' && r.text() !== undefined}>{seconds(r.elapsedMs())} · output in the query's own format</Match>
        <Match when={r.status() === 'done' && r.truncated()}>
          First {int(count())} rows shown (the result has more; Parquet download holds them all) · {seconds(r.elapsedMs())}{read()}
        </Match>
        <Match when={r.status() === 'done'}>{int(count())} {count() === 1 ? 'row' : 'rows'} · {seconds(r.elapsedMs())}{server()}{read()}</Match>
      </Switch>
    </small>
  )
}
