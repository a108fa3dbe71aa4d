import { createSignal, For, Match, onCleanup, onMount, Show, Switch } from 'solid-js'
import { SqlError } from '../analyst/client.ts'
import { downloadParquet, downloadResultCsv } from '../analyst/download.ts'
import { createSqlEditor, type SqlEditor } from '../analyst/editor.ts'
import { chartable, ResultChart } from '../analyst/ResultChart.tsx'
import { ResultGrid } from '../analyst/ResultGrid.tsx'
import { createRunner } from '../analyst/runner.ts'
import { loadSchema, type Schema } from '../analyst/schema.ts'
import { SchemaBrowser, tableRef } from '../analyst/SchemaBrowser.tsx'
import { RunStatus } from '../analyst/RunStatus.tsx'
import { Panel } from '../components/Panel.tsx'
import { int } from '../format.ts'
import '../analyst/analyst.css'

const RECENT = 'livehouse.recentQueries'
const DRAFT = 'livehouse.sqlDraft'
/** Rows the page keeps of one answer; beyond it reading stops (and the query is cancelled). */
export const MAX_ROWS_KEPT = 100_000

const loadRecent = (): string[] => {
  try {
    return JSON.parse(localStorage.getItem(RECENT) ?? '[]')
  } catch {
    return []
  }
}

const example = 'SELECT symbol, count() AS trades, avg(price) AS avg_price\nFROM trades\nWHERE ts > now() - INTERVAL 1 HOUR\nGROUP BY symbol\nORDER BY trades DESC\nLIMIT 20'

/** The SQL workbench: editor with completion, schema browser, streamed results, downloads. */
export function Analyst() {
  const runner = createRunner({ maxRows: MAX_ROWS_KEPT })
  const [recent, setRecent] = createSignal(loadRecent())
  const [chart, setChart] = createSignal(false)
  const [schema, setSchema] = createSignal<Schema>()
  const [schemaLoading, setSchemaLoading] = createSignal(false)
  const [schemaError, setSchemaError] = createSignal<string>()
  const [exporting, setExporting] = createSignal<AbortController>()
  const [exportError, setExportError] = createSignal<string>()
  let host!: HTMLDivElement
  let editor: SqlEditor | undefined
  let schemaAbort: AbortController | undefined

  const refreshSchema = async () => {
    schemaAbort?.abort()
    const mine = (schemaAbort = new AbortController())
    setSchemaLoading(true)
    setSchemaError(undefined)
    try {
      const s = await loadSchema(mine.signal)
      setSchema(s)
      editor?.setSchema(s)
    } catch (e) {
      if (!mine.signal.aborted) setSchemaError(`Schema not loaded: ${(e as Error).message}`)
    } finally {
      if (schemaAbort === mine) setSchemaLoading(false)
    }
  }

  const run = (text?: string) => {
    const q = (text ?? editor?.statement() ?? '').trim()
    if (!q) return
    const list = [q, ...recent().filter((r) => r !== q)].slice(0, 20)
    setRecent(list)
    localStorage.setItem(RECENT, JSON.stringify(list))
    setChart(false)
    setExportError(undefined)
    void runner.run(q)
  }

  const exportParquet = async () => {
    const c = new AbortController()
    setExporting(c)
    setExportError(undefined)
    try {
      await downloadParquet(runner.sql(), c.signal)
    } catch (e) {
      if (!c.signal.aborted) setExportError(e instanceof SqlError ? e.message : `Download failed: ${(e as Error).message}`)
    } finally {
      setExporting(undefined)
    }
  }

  onMount(() => {
    editor = createSqlEditor(host, {
      doc: localStorage.getItem(DRAFT) ?? loadRecent()[0] ?? example,
      label: 'SQL query',
      onRun: () => run(),
      onChange: (doc) => localStorage.setItem(DRAFT, doc),
    })
    void refreshSchema()
  })
  onCleanup(() => (editor?.destroy(), schemaAbort?.abort(), exporting()?.abort()))

  const hasRows = () => runner.columns().length > 0
  const canDownload = () => hasRows() && !runner.text() && runner.status() !== 'running'
  return (
    <div class="view analyst" data-testid="analyst-view">
      <div class="analyst-layout">
        <SchemaBrowser schema={schema} loading={schemaLoading} error={schemaError} onRefresh={refreshSchema}
          onInsert={(text) => editor?.insert(text)}
          onPreview={(t) => {
            const q = `SELECT *\nFROM ${tableRef(t)}\nLIMIT 100`
            editor?.setText(q)
            run(q)
          }} />
        <div class="analyst-main">
          <Panel title="SQL" actions={<small>Read-only · Ctrl+Enter runs the statement at the cursor</small>}>
            <div ref={host} class="sql-editor" data-testid="sql-editor" />
            <div class="row">
              <button type="button" class="primary" onClick={() => run()}>Run</button>
              <button type="button" onClick={() => runner.cancel()} disabled={runner.status() !== 'running'}>Cancel</button>
              <Show when={chartable(runner.columns()) && runner.status() === 'done'}>
                <button type="button" aria-pressed={chart()} onClick={() => setChart(!chart())}>Chart</button>
              </Show>
              <RunStatus runner={runner} maxRows={MAX_ROWS_KEPT} />
              <span class="spacer" />
              <Show when={canDownload()}>
                <button type="button" onClick={() => downloadResultCsv(runner.columns(), runner.rows())}
                  title={runner.truncated() ? `The ${int(runner.rows().length)} rows shown` : 'The rows shown'}>Download CSV</button>
                <Show when={exporting()} fallback={<button type="button" onClick={exportParquet} title="Runs the statement again and saves the whole result as Parquet">Download Parquet</button>}>
                  {(c) => <button type="button" onClick={() => c().abort()}>Stop Parquet download</button>}
                </Show>
              </Show>
            </div>
            <Show when={runner.error()}>{(e) => <pre class="error sql-error" role="alert" data-testid="sql-error">{e().message}</pre>}</Show>
            <Show when={exportError()}><pre class="error sql-error" role="alert" data-testid="export-error">{exportError()}</pre></Show>
          </Panel>
          <Show when={chart() && hasRows()}><Panel title="Chart"><ResultChart columns={runner.columns()} rows={runner.rows()} /></Panel></Show>
          <Show when={runner.status() !== 'idle' && runner.status() !== 'error'}>
            <Panel title="Results" testid="sql-results">
              <Switch>
                <Match when={runner.text() !== undefined}><pre class="sql-text" data-testid="sql-text">{runner.text()}</pre></Match>
                <Match when={hasRows()}>
                  <ResultGrid columns={runner.columns()} rows={runner.rows} version={runner.version} totals={runner.totals()} caption="Query results" />
                </Match>
                <Match when={runner.status() === 'running'}><p class="loading" aria-live="polite">Waiting for the first rows…</p></Match>
              </Switch>
            </Panel>
          </Show>
          <Panel title="Recent queries">
            <ul class="recent">
              <For each={recent()} fallback={<li class="empty">None yet</li>}>
                {(q) => <li><button type="button" class="link" onClick={() => editor?.setText(q)}>{q.length > 160 ? q.slice(0, 160) + '…' : q}</button></li>}
              </For>
            </ul>
          </Panel>
        </div>
      </div>
    </div>
  )
}
