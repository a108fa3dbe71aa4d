import type uPlot from 'uplot'
import { baseOptions, Chart } from '../components/Chart.tsx'
import { chTime, numericType, timeType } from '../format.ts'
import { palette } from '../theme.ts'
import type { Column } from './stream.ts'

/** Whether a result has something to plot: a first column for x and a numeric column after it. */
export const chartable = (columns: Column[]) => columns.length >= 2 && columns.slice(1).some((c) => numericType.test(c.type))

/** First column on x (time or number), every numeric column after it as a line. */
export function ResultChart(props: { columns: Column[]; rows: unknown[][] }) {
  const { columns, rows } = props
  const isTime = timeType.test(columns[0].type)
  const ys = columns.map((c, i) => [c, i] as const).filter(([c, i]) => i > 0 && numericType.test(c.type))
  const x = rows.map((row, i) => (isTime ? chTime(row[0]) : numericType.test(columns[0].type) ? Number(row[0]) : i))
  const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b])
  const data = [order.map((i) => x[i]), ...ys.map(([, c]) => order.map((i) => Number(rows[i][c])))] as uPlot.AlignedData
  const options = () => {
    const p = palette()
    const colors = [p.accent, p.accent2, p.up, p.down, p.fg]
    return { ...baseOptions(p), scales: { x: { time: isTime } }, series: [{ label: columns[0].name }, ...ys.map(([c], i) => ({ label: c.name, stroke: colors[i % colors.length], width: 1.5 }))] } as Omit<uPlot.Options, 'width' | 'height'>
  }
  return <Chart label="Chart of the query result" options={options} data={() => data} />
}
