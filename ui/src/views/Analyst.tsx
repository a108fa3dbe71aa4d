import { createSignal, For, Show } from 'solid-js'
import type uPlot from 'uplot'
import { ApiError, sql, type SqlResult } from '../api.ts'
import { baseOptions, Chart } from '../components/Chart.tsx'
import { DataTable } from '../components/DataTable.tsx'
import { Panel } from '../components/Panel.tsx'
import { chTime, int, num, numericType, timeType } from '../format.ts'
import { palette } from '../theme.ts'

const RECENT = 'livehouse.recentQueries'

const loadRecent = (): string[] => {
  try {
    return JSON.parse(localStorage.getItem(RECENT) ?? '[]')
  } catch {
    return []
  }
}

/** SQL against the read-only engine, through the gateway with the user's token. */
export function Analyst() {
  const [text, setText] = createSignal(loadRecent()[0] ?? 'SELECT symbol, count() AS trades, avg(price) AS avg_price\nFROM trades\nWHERE ts > now() - INTERVAL 1 HOUR\nGROUP BY symbol\nORDER BY trades DESC\nLIMIT 20')
  const [result, setResult] = createSignal<SqlResult>()
  const [error, setError] = createSignal<string>()
  const [running, setRunning] = createSignal(false)
  const [chart, setChart] = createSignal(false)
  const [recent, setRecent] = createSignal(loadRecent())

  const run = async () => {
    const q = text().trim()
    if (!q || running()) return
    setRunning(true)
    setError(undefined)
    const list = [q, ...recent().filter((r) => r !== q)].slice(0, 20)
    setRecent(list)
    localStorage.setItem(RECENT, JSON.stringify(list))
    try {
      setResult(await sql(q))
      setChart(false)
    } catch (e) {
      setResult(undefined)
      setError(e instanceof ApiError ? e.message : `Network error: ${(e as Error).message}`)
    } finally {
      setRunning(false)
    }
  }
  const chartable = () => {
    const r = result()
    return !!r && r.meta.length >= 2 && r.meta.slice(1).some((m) => numericType.test(m.type))
  }
  return (
    <div class="view analyst" data-testid="analyst-view">
      <Panel title="SQL" actions={<small>Read-only · Ctrl+Enter runs</small>}>
        <label class="sr-only" for="sql">SQL query</label>
        <textarea id="sql" class="sql" rows="8" spellcheck={false} value={text()} onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => (e.ctrlKey || e.metaKey) && e.key === 'Enter' && (e.preventDefault(), void run())} />
        <div class="row">
          <button type="button" class="primary" onClick={run} disabled={running()}>{running() ? 'Running…' : 'Run'}</button>
          <Show when={chartable()}><button type="button" aria-pressed={chart()} onClick={() => setChart(!chart())}>Chart</button></Show>
          <Show when={result()}>{(r) => <small data-testid="sql-summary">{int(r().data.length)} rows{r().statistics ? ` · ${num(r().statistics!.elapsed * 1000, 1)} ms · ${int(r().statistics!.rows_read)} rows read` : ''}</small>}</Show>
        </div>
        <Show when={error()}><pre class="error sql-error" role="alert" data-testid="sql-error">{error()}</pre></Show>
      </Panel>
      <Show when={chart() && result()}>{(r) => <Panel title="Chart"><ResultChart result={r()} /></Panel>}</Show>
      <Show when={result()}>
        {(r) => (
          <Panel title="Results" testid="sql-results">
            <DataTable caption="Query results" filename="query.csv" filter limit={5000}
              columns={r().meta.map((m) => ({ label: m.name, type: m.type, numeric: numericType.test(m.type) }))}
              rows={() => r().data} />
          </Panel>
        )}
      </Show>
      <Panel title="Recent queries">
        <ul class="recent">
          <For each={recent()} fallback={<li class="empty">None yet</li>}>
            {(q) => <li><button type="button" class="link" onClick={() => setText(q)}>{q.length > 160 ? q.slice(0, 160) + '…' : q}</button></li>}
          </For>
        </ul>
      </Panel>
    </div>
  )
}

/** First column on x (time or number), every numeric column after it as a line. */
function ResultChart(props: { result: SqlResult }) {
  const r = props.result
  const isTime = timeType.test(r.meta[0].type)
  const ys = r.meta.map((m, i) => [m, i] as const).filter(([m, i]) => i > 0 && numericType.test(m.type))
  const x = r.data.map((row, i) => (isTime ? chTime(row[0]) : numericType.test(r.meta[0].type) ? Number(row[0]) : i))
  const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b])
  const data = [order.map((i) => x[i]), ...ys.map(([, c]) => order.map((i) => Number(r.data[i][c])))] as uPlot.AlignedData
  const options = () => {
    const p = palette()
    const colors = [p.accent, p.accent2, p.up, p.down, p.fg]
    return { ...baseOptions(p), scales: { x: { time: isTime } }, series: [{ label: r.meta[0].name }, ...ys.map(([m], i) => ({ label: m.name, stroke: colors[i % colors.length], width: 1.5 }))] } as Omit<uPlot.Options, 'width' | 'height'>
  }
  return <Chart label="Chart of the query result" options={options} data={() => data} />
}
