import { createMemo, Match, Show, Switch } from 'solid-js'
import uPlot from 'uplot'
import type { QueryResult } from '../api.ts'
import { chTime, num, numericType, timeType } from '../format.ts'
import { palette } from '../theme.ts'
import { baseOptions, Chart } from './Chart.tsx'
import { candleOptions } from './candles.ts'
import { DataTable } from './DataTable.tsx'
import type { Widget } from '../views/dashboard-templates.ts'


/** Draws one catalog query result the way the widget asks: number, table, chart or candles. */
export function WidgetBody(props: { widget: Widget; result: QueryResult; height: number }) {
  // Several currencies in one result: chart the first one (the table shows them all).
  const r = createMemo((): QueryResult => {
    const res = props.result
    if (!['line', 'area', 'bar', 'number'].includes(props.widget.type) || !res.columns.some((c) => c.name === 'currency')) return res
    const first = res.rows[0]?.currency
    return { ...res, rows: res.rows.filter((row) => row.currency === first) }
  })
  // Decimals and computed metrics may arrive as strings: a column whose every value is a number counts as numeric.
  const numCols = createMemo(() => r().columns.filter((c) => numericType.test(c.type) || (c.type === 'String' && r().rows.length > 0 && r().rows.every((row) => row[c.name] !== '' && !Number.isNaN(Number(row[c.name]))))))
  const timeCol = () => r().columns.find((c) => timeType.test(c.type))
  const chartData = (): uPlot.AlignedData => {
    const t = timeCol()
    const rows = [...r().rows]
    if (t) rows.sort((a, b) => chTime(a[t.name]) - chTime(b[t.name]))
    const xs = rows.map((row, i) => (t ? chTime(row[t.name]) : i))
    return [xs, ...numCols().slice(0, 4).map((c) => rows.map((row) => Number(row[c.name])))] as uPlot.AlignedData
  }
  const chartOptions = (kind: string) => () => {
    const p = palette()
    const colors = [p.accent, p.accent2, p.up, p.down]
    const bars = kind === 'bar' ? { paths: uPlot.paths.bars!({ size: [0.6, 40] }) } : {}
    return {
      ...baseOptions(p),
      scales: { x: { time: !!timeCol() } },
      series: [{}, ...numCols().slice(0, 4).map((c, i) => ({ label: c.name, stroke: colors[i], width: 1.5, fill: kind !== 'line' ? colors[i] + '33' : undefined, ...bars }))],
    } as Omit<uPlot.Options, 'width' | 'height'>
  }
  const candleData = () => {
    const rows = [...r().rows].sort((a, b) => chTime(a.t) - chTime(b.t))
    return [rows.map((x) => chTime(x.t)), ...['open', 'high', 'low', 'close'].map((k) => rows.map((x) => Number(x[k])))] as uPlot.AlignedData
  }
  return (
    <Show when={r().rows.length} fallback={<p class="empty">No rows</p>}>
      <Switch fallback={<DataTable caption={props.widget.title ?? props.widget.query} columns={r().columns.map((c) => ({ label: c.name, numeric: numericType.test(c.type), format: numericType.test(c.type) ? (v: unknown) => num(v) : undefined }))} rows={() => r().rows.map((row) => r().columns.map((c) => row[c.name]))} filename={`${props.widget.query}.csv`} />}>
        <Match when={props.widget.type === 'number'}>
          <p class="big-number">{num(r().rows[0][numCols()[0]?.name ?? r().columns[0].name])}<small> {numCols()[0]?.name}</small></p>
        </Match>
        <Match when={props.widget.type === 'candles' && r().columns.some((c) => c.name === 'open')}>
          <Chart label={props.widget.title ?? 'candles'} options={() => candleOptions(palette())} data={candleData} height={props.height} />
        </Match>
        <Match when={['line', 'area', 'bar'].includes(props.widget.type) && numCols().length > 0}>
          <Chart label={props.widget.title ?? props.widget.query} options={chartOptions(props.widget.type)} data={chartData} height={props.height} />
        </Match>
      </Switch>
    </Show>
  )
}
