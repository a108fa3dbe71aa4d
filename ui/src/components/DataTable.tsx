import { createMemo, createSignal, For, Show } from 'solid-js'
import { downloadCsv } from '../csv.ts'

export interface Column {
  label: string
  type?: string
  format?: (v: unknown, row: unknown[]) => string
  numeric?: boolean
  /** Renders the cell as a link-styled button calling this (e.g. open a detail). */
  action?: (v: unknown, row: unknown[]) => void
}

/** A sortable, filterable table whose CSV export holds exactly the rows shown. */
export function DataTable(props: { columns: Column[]; rows: () => unknown[][]; filename?: string; filter?: boolean; limit?: number; caption: string; sortBy?: number }) {
  const [sortBy, setSortBy] = createSignal<number>(props.sortBy ?? -1)
  const [desc, setDesc] = createSignal(true)
  const [q, setQ] = createSignal('')
  const shown = createMemo(() => {
    let rows = props.rows()
    const needle = q().trim().toLowerCase()
    if (needle) rows = rows.filter((r) => r.some((v) => String(v ?? '').toLowerCase().includes(needle)))
    const c = sortBy()
    if (c >= 0) {
      const dir = desc() ? -1 : 1
      rows = [...rows].sort((a, b) => {
        const x = a[c], y = b[c]
        const nx = Number(x), ny = Number(y)
        const cmp = x !== '' && y !== '' && !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : String(x).localeCompare(String(y))
        return cmp * dir
      })
    }
    return props.limit ? rows.slice(0, props.limit) : rows
  })
  const sort = (i: number) => (sortBy() === i ? setDesc(!desc()) : (setSortBy(i), setDesc(true)))
  const ariaSort = (i: number) => (sortBy() === i ? (desc() ? 'descending' : 'ascending') : 'none')
  return (
    <div class="table-wrap">
      <Show when={props.filter || props.filename}>
        <div class="table-tools">
          <Show when={props.filter}>
            <input type="search" placeholder="Filter…" aria-label={`Filter ${props.caption}`} value={q()} onInput={(e) => setQ(e.currentTarget.value)} />
          </Show>
          <Show when={props.filename}>
            <button type="button" onClick={() => downloadCsv(props.filename!, props.columns.map((c) => c.label), shown())}>Export CSV</button>
          </Show>
        </div>
      </Show>
      <div class="scroll">
        <table>
          <caption class="sr-only">{props.caption}</caption>
          <thead>
            <tr>
              <For each={props.columns}>
                {(c, i) => (
                  <th scope="col" aria-sort={ariaSort(i())} class={c.numeric ? 'num' : ''}>
                    <button type="button" class="th" onClick={() => sort(i())}>
                      {c.label}
                      <Show when={c.type}><small class="type">{c.type}</small></Show>
                      <span aria-hidden="true">{sortBy() === i() ? (desc() ? ' ▾' : ' ▴') : ''}</span>
                    </button>
                  </th>
                )}
              </For>
            </tr>
          </thead>
          <tbody>
            <For each={shown()} fallback={<tr><td colspan={props.columns.length} class="empty">No rows</td></tr>}>
              {(row) => (
                <tr>
                  <For each={props.columns}>{(c, i) => {
                    const text = () => (c.format ? c.format(row[i()], row) : String(row[i()] ?? ''))
                    return <td class={c.numeric ? 'num' : ''}>{c.action ? <button type="button" class="link" onClick={() => c.action!(row[i()], row)}>{text()}</button> : text()}</td>
                  }}</For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </div>
  )
}
