import { createMemo, createSignal, For, Show } from 'solid-js'
import { compact } from '../format.ts'
import type { Schema, TableInfo } from './schema.ts'

/** Quotes a name with backticks unless it is a plain identifier. */
export const ident = (name: string) => (/^[A-Za-z_][\w$]*$/.test(name) ? name : `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``)
export const tableRef = (t: TableInfo) => (t.database === 'default' ? ident(t.name) : `${ident(t.database)}.${ident(t.name)}`)

/**
 * Databases, tables (engine, rows) and columns (type) as the engine lists them. A click
 * on a name inserts it at the editor's cursor; "Preview" runs `SELECT * … LIMIT 100`.
 */
export function SchemaBrowser(props: {
  schema: () => Schema | undefined
  loading: () => boolean
  error: () => string | undefined
  onRefresh: () => void
  onInsert: (text: string) => void
  onPreview: (t: TableInfo) => void
}) {
  const [filter, setFilter] = createSignal('')
  const databases = createMemo(() => {
    const needle = filter().trim().toLowerCase()
    const groups = new Map<string, TableInfo[]>()
    for (const t of props.schema()?.tables ?? []) {
      const hit = !needle || t.name.toLowerCase().includes(needle) || t.columns.some((c) => c.name.toLowerCase().includes(needle))
      if (!hit) continue
      const list = groups.get(t.database) ?? []
      list.push(t)
      groups.set(t.database, list)
    }
    return [...groups].map(([name, tables]) => ({ name, tables }))
  })
  const filtering = () => filter().trim() !== ''
  return (
    <section class="panel schema-browser" aria-label="Schema" data-testid="schema-browser">
      <header>
        <h2>Schema</h2>
        <div class="actions">
          <button type="button" class="icon" aria-label="Reload schema" title="Reload schema" onClick={props.onRefresh} disabled={props.loading()}>↻</button>
        </div>
      </header>
      <input type="search" placeholder="Filter tables and columns…" aria-label="Filter tables and columns" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
      <Show when={props.error()}><p class="error" role="alert">{props.error()}</p></Show>
      <Show when={props.loading() && !props.schema()}><p class="loading" aria-live="polite">Loading schema…</p></Show>
      <div class="tree">
        <For each={databases()} fallback={<Show when={props.schema()}><p class="empty">No match</p></Show>}>
          {(db) => (
            <details open={filtering() || db.name !== 'system'}>
              <summary class="db">{db.name} <small>{db.tables.length}</small></summary>
              <ul>
                <For each={db.tables}>{(t) => <TableNode table={t} open={filtering()} onInsert={props.onInsert} onPreview={props.onPreview} />}</For>
              </ul>
            </details>
          )}
        </For>
      </div>
    </section>
  )
}

function TableNode(props: { table: TableInfo; open: boolean; onInsert: (text: string) => void; onPreview: (t: TableInfo) => void }) {
  const [opened, setOpened] = createSignal(false)
  const t = props.table
  const rows = t.totalRows === null ? '' : `${compact(t.totalRows)} rows`
  return (
    <li data-table={`${t.database}.${t.name}`}>
      <details open={props.open || opened()} onToggle={(e) => setOpened(e.currentTarget.open)}>
        <summary title={[t.engine, rows, t.comment].filter(Boolean).join(' · ')}>
          <button type="button" class="link name" onClick={(e) => (e.preventDefault(), props.onInsert(tableRef(t)))}>{t.name}</button>
          <small class="meta">{t.engine.replace(/MergeTree$/, 'MT')}{rows ? ` · ${rows}` : ''}</small>
          <button type="button" class="link preview" aria-label={`Preview ${t.name}`} title="SELECT * … LIMIT 100" onClick={(e) => (e.preventDefault(), props.onPreview(t))}>▶</button>
        </summary>
        <Show when={props.open || opened()}>
          <ul class="columns">
            <For each={t.columns}>
              {(c) => (
                <li title={c.comment || undefined}>
                  <button type="button" class="link" onClick={() => props.onInsert(ident(c.name))}>{c.name}</button>
                  <small class="type">{c.type}</small>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </details>
    </li>
  )
}
