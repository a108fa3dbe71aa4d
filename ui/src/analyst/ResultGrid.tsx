import { createVirtualizer } from '@tanstack/solid-virtual'
import { createMemo, For, Show } from 'solid-js'
import { numericType } from '../format.ts'
import type { Column } from './stream.ts'

const rowPx = 26
const charPx = 7.6

/** A cell as text: NULL stays visible, arrays, maps and tuples as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s)

/** Column widths from the header and the first rows, so widths do not jump while scrolling. */
function widths(columns: Column[], sample: unknown[][]): number[] {
  return columns.map((c, i) => {
    let chars = Math.max(c.name.length, Math.min(c.type.length, 24))
    for (const r of sample) chars = Math.max(chars, cellText(r[i]).length)
    return Math.round(Math.min(480, Math.max(64, chars * charPx + 20)))
  })
}

/**
 * The result as a table that renders only the rows in view (plus a margin), so 100,000
 * rows scroll as smoothly as 100. Rows have one fixed height; long cells are cut with an
 * ellipsis and carry their full text in a tooltip.
 */
export function ResultGrid(props: { columns: Column[]; rows: () => unknown[][]; version: () => number; totals?: unknown[]; caption: string }) {
  let scroller!: HTMLDivElement
  const count = () => (props.version(), props.rows().length)
  const virtualizer = createVirtualizer({
    get count() {
      return count()
    },
    getScrollElement: () => scroller,
    estimateSize: () => rowPx,
    overscan: 15,
  })
  const numeric = createMemo(() => props.columns.map((c) => numericType.test(c.type)))
  // Widths follow the first 200 rows only: later batches must not make columns jump.
  const sampled = createMemo(() => Math.min(count(), 200))
  const colWidths = createMemo(() => widths(props.columns, props.rows().slice(0, sampled())))
  const rownumPx = () => Math.max(44, String(count()).length * charPx + 20)
  const total = () => colWidths().reduce((a, b) => a + b, 0) + rownumPx()
  const padTop = () => virtualizer.getVirtualItems()[0]?.start ?? 0
  const padBottom = () => {
    const items = virtualizer.getVirtualItems()
    return items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0
  }
  return (
    <div class="result-grid" ref={scroller} tabindex="0" aria-label={`${props.caption}: scroll to see more rows`}>
      <table style={{ width: `${total()}px` }} aria-rowcount={count() + 1} data-testid="result-table">
        <caption class="sr-only">{props.caption}</caption>
        <colgroup>
          <col style={{ width: `${rownumPx()}px` }} />
          <For each={colWidths()}>{(w) => <col style={{ width: `${w}px` }} />}</For>
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col" class="num rownum">#</th>
            <For each={props.columns}>
              {(c, i) => (
                <th scope="col" class={numeric()[i()] ? 'num' : ''} title={`${c.name} ${c.type}`}>
                  {c.name}
                  <small class="type">{c.type}</small>
                </th>
              )}
            </For>
          </tr>
        </thead>
        <tbody>
          <Show when={padTop() > 0}><tr class="pad" aria-hidden="true" style={{ height: `${padTop()}px` }} /></Show>
          <For each={virtualizer.getVirtualItems()}>
            {(item) => {
              const row = () => (props.version(), props.rows()[item.index] ?? [])
              return (
                <tr aria-rowindex={item.index + 2} data-index={item.index} style={{ height: `${rowPx}px` }}>
                  <td class="num rownum">{item.index + 1}</td>
                  <For each={props.columns}>
                    {(_, i) => {
                      const text = () => cellText(row()[i()])
                      // A cell is one line cut by CSS; a huge value must not become a huge DOM text or tooltip.
                      return <td class={`${numeric()[i()] ? 'num' : ''}${row()[i()] === null ? ' null' : ''}`} title={text().length > 40 ? clip(text(), 4000) : undefined}>{clip(text(), 500)}</td>
                    }}
                  </For>
                </tr>
              )
            }}
          </For>
          <Show when={padBottom() > 0}><tr class="pad" aria-hidden="true" style={{ height: `${padBottom()}px` }} /></Show>
        </tbody>
        <Show when={props.totals}>
          {(totals) => (
            <tfoot>
              <tr class="totals" aria-rowindex={count() + 2}>
                <th scope="row" class="rownum">Totals</th>
                <For each={props.columns}>{(_, i) => <td class={numeric()[i()] ? 'num' : ''}>{cellText(totals()[i()])}</td>}</For>
              </tr>
            </tfoot>
          )}
        </Show>
      </table>
      <Show when={count() === 0}><p class="empty">No rows</p></Show>
    </div>
  )
}
