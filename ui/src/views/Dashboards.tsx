import { createMemo, createResource, createSignal, For, Show } from 'solid-js'
import { api, catalog, type CatalogEntry } from '../api.ts'
import { Panel } from '../components/Panel.tsx'
import { useQuery } from '../components/use-query.ts'
import { WidgetBody } from '../components/WidgetBody.tsx'
import { template, widgetId, type Dashboard, type Widget } from './dashboard-templates.ts'

const ROW_PX = 72
const COLS = 12
const types: Widget['type'][] = ['line', 'area', 'bar', 'table', 'number', 'candles']

/** Per-user dashboards on a 12-column grid, saved through /api/v1/dashboards after every change. */
export function Dashboards() {
  const [list, { refetch }] = createResource(() => api.get<{ dashboards: { id: string; name: string; widgetCount: number }[] }>('/api/v1/dashboards'))
  const [queries] = createResource(catalog)
  const [selected, setSelected] = createSignal<string>(localStorage.getItem('livehouse.dashboard') ?? '')
  const currentId = () => {
    const ids = list()?.dashboards.map((d) => d.id) ?? []
    return ids.includes(selected()) ? selected() : ids[0]
  }
  const [board, { mutate }] = createResource(currentId, (id) => api.get<Dashboard>(`/api/v1/dashboards/${id}`))
  const [error, setError] = createSignal<string>()
  const [saving, setSaving] = createSignal(false)

  const choose = (id: string) => (localStorage.setItem('livehouse.dashboard', id), setSelected(id))
  const create = async (kind: 'trader' | 'seller' | 'blank') => {
    try {
      const d = (await api.send<Dashboard>('POST', '/api/v1/dashboards', await template(kind)))!
      choose(d.id)
      await refetch()
    } catch (e) {
      setError((e as Error).message)
    }
  }
  // Saves run one at a time, each sending the board as it is when it starts (every change
  // so far, the version the previous save returned): a quick second click would otherwise
  // send the version the first save just replaced and be refused with 409.
  let queue = Promise.resolve()
  let pending = 0
  const save = (widgets: Widget[]) => {
    const d = board()
    if (!d) return
    mutate({ ...d, widgets })
    pending++
    setSaving(true)
    queue = queue.then(async () => {
      const cur = board()
      try {
        if (cur?.id !== d.id) return // another dashboard was chosen meanwhile
        const saved = (await api.send<Dashboard>('PUT', `/api/v1/dashboards/${cur.id}`, { name: cur.name, widgets: cur.widgets, version: cur.version }))!
        // Changes made while this save ran stay on screen for the next one; the last takes the server's copy.
        if (board()?.id === saved.id) mutate(pending > 1 ? { ...board()!, version: saved.version } : saved)
        setError(undefined)
      } catch (e) {
        setError((e as Error).message)
      } finally {
        setSaving(--pending > 0)
      }
    })
  }
  const update = (id: string, change: (w: Widget) => Partial<Widget>) => save(board()!.widgets.map((w) => (w.id === id ? { ...w, ...change(w) } : w)))
  const byId = createMemo(() => new Map((board()?.widgets ?? []).map((w) => [w.id, w])))
  const ids = createMemo(() => [...byId().keys()], [], { equals: (a, b) => a.length === b.length && a.every((x, i) => x === b[i]) })
  const remove = async () => {
    const d = board()
    if (!d || !confirm(`Delete the dashboard “${d.name}”?`)) return
    await api.send('DELETE', `/api/v1/dashboards/${d.id}`).catch((e: Error) => setError(e.message))
    await refetch()
  }

  return (
    <div class="view dashboards" data-testid="dashboards-view">
      <div class="toolbar">
        <label>Dashboard <select value={currentId() ?? ''} onChange={(e) => choose(e.currentTarget.value)} disabled={!list()?.dashboards.length}>
          <For each={list()?.dashboards ?? []} fallback={<option value="">none yet</option>}>{(d) => <option value={d.id}>{d.name} ({d.widgetCount})</option>}</For>
        </select></label>
        <span>New:</span>
        <button type="button" onClick={() => create('trader')}>Trader template</button>
        <button type="button" onClick={() => create('seller')}>Seller template</button>
        <button type="button" onClick={() => create('blank')}>Blank</button>
        <Show when={board()}><button type="button" onClick={remove}>Delete</button></Show>
        <span class="status-text" aria-live="polite">{saving() ? 'Saving…' : board() ? 'Saved' : ''}</span>
      </div>
      <Show when={error() || list.error}><p class="error" role="alert">{error() ?? (list.error as Error).message}</p></Show>
      <Show when={board()}>
        {(d) => (
          <>
            <AddWidget queries={queries() ?? []} onAdd={(w) => save([...d().widgets, { ...w, y: Math.max(0, ...d().widgets.map((x) => x.y + x.h)) }])} />
            <div class="board" style={{ '--row': `${ROW_PX}px` }} data-testid="board">
              {/* Keyed by widget id: a save returns new widget objects, which must not remount every frame (and re-run its query). */}
              <For each={ids()}>
                {(id) => {
                  const w = createMemo<Widget>((prev) => byId().get(id) ?? prev!)
                  return <WidgetFrame widget={w()} update={(c) => update(id, c)} remove={() => save(d().widgets.filter((x) => x.id !== id))} />
                }}
              </For>
            </div>
          </>
        )}
      </Show>
    </div>
  )
}

function WidgetFrame(props: { widget: Widget; update: (c: (w: Widget) => Partial<Widget>) => void; remove: () => void }) {
  const w = () => props.widget
  const result = useQuery(w().query, () => w().params, 10_000)
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v))
  const move = (dx: number, dy: number) => props.update((x) => ({ x: clamp(x.x + dx, 0, COLS - x.w), y: Math.max(0, x.y + dy) }))
  const size = (dw: number, dh: number) => props.update((x) => ({ w: clamp(x.w + dw, 2, COLS - x.x), h: clamp(x.h + dh, 2, 12) }))
  const title = () => w().title ?? w().query
  return (
    <div class="widget" data-testid="widget" data-query={w().query}
      style={{ 'grid-column': `${w().x + 1} / span ${w().w}`, 'grid-row': `${w().y + 1} / span ${w().h}` }}>
      <Panel title={title()} loading={result.loading && !result.latest} error={result.error?.message}
        actions={
          <div class="widget-tools" role="group" aria-label={`Arrange ${title()}`}>
            <button type="button" aria-label="Move left" onClick={() => move(-1, 0)}>←</button>
            <button type="button" aria-label="Move right" onClick={() => move(1, 0)}>→</button>
            <button type="button" aria-label="Move up" onClick={() => move(0, -1)}>↑</button>
            <button type="button" aria-label="Move down" onClick={() => move(0, 1)}>↓</button>
            <button type="button" aria-label="Narrower" onClick={() => size(-1, 0)}>−w</button>
            <button type="button" aria-label="Wider" onClick={() => size(1, 0)}>+w</button>
            <button type="button" aria-label="Shorter" onClick={() => size(0, -1)}>−h</button>
            <button type="button" aria-label="Taller" onClick={() => size(0, 1)}>+h</button>
            <button type="button" aria-label={`Remove ${title()}`} onClick={props.remove}>✕</button>
          </div>
        }>
        <Show when={result.latest}>{(r) => <WidgetBody widget={w()} result={r()} height={Math.max(80, w().h * ROW_PX - 110)} />}</Show>
      </Panel>
    </div>
  )
}

function AddWidget(props: { queries: CatalogEntry[]; onAdd: (w: Widget) => void }) {
  const [name, setName] = createSignal('')
  const [type, setType] = createSignal<Widget['type']>('table')
  const [title, setTitle] = createSignal('')
  const [params, setParams] = createSignal<Record<string, string>>({})
  const q = () => props.queries.find((x) => x.name === name())
  const submit = (e: Event) => {
    e.preventDefault()
    if (!q()) return
    const p = Object.fromEntries(Object.entries(params()).filter(([k, v]) => v && q()!.params.some((x) => x.name === k)))
    props.onAdd({ id: widgetId(), type: type(), title: title() || undefined, query: name(), params: p, x: 0, y: 0, w: 6, h: 4 })
    setTitle('')
  }
  return (
    <form class="add-widget" onSubmit={submit} aria-label="Add a widget">
      <label>Query <select value={name()} onChange={(e) => (setName(e.currentTarget.value), setParams({}))} required>
        <option value="">choose…</option>
        <For each={props.queries}>{(x) => <option value={x.name} title={x.description}>{x.name}</option>}</For>
      </select></label>
      <label>As <select value={type()} onChange={(e) => setType(e.currentTarget.value as Widget['type'])}>
        <For each={types}>{(t) => <option value={t}>{t}</option>}</For>
      </select></label>
      <For each={q()?.params.filter((p) => p.required || p.name === 'symbol' || p.name === 'shop' || p.name === 'interval') ?? []}>
        {(p) => <label>{p.name} <input value={params()[p.name] ?? ''} placeholder={p.default ?? ''} required={p.required} onInput={(e) => setParams({ ...params(), [p.name]: e.currentTarget.value })} /></label>}
      </For>
      <label>Title <input value={title()} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="optional" /></label>
      <button type="submit" class="primary" disabled={!q()}>Add widget</button>
    </form>
  )
}
