import type uPlot from 'uplot'
import { palette } from '../theme.ts'
import { Chart } from './Chart.tsx'

/**
 * A 40 px line without axes, legend or cursor (KPI cards), redrawn through `subscribe`.
 * With `openLabel`, `data` is [x, complete, open] (components/open-bucket.ts) and the
 * still-filling bucket is drawn dashed.
 */
export function Sparkline(props: {
  label: string
  data: () => uPlot.AlignedData
  subscribe: (redraw: () => void) => () => void
  color?: 'accent' | 'accent2'
  /** y from 0 up (rates, ages) rather than fitted to the values. */
  fromZero?: boolean
  /** Names the dashed open-bucket series (and turns it on). */
  openLabel?: string
  /** Start of the open bucket shown, for the page (data-open-t). */
  openT?: () => number | undefined
}) {
  const options = () => {
    const c = palette()[props.color ?? 'accent']
    const y = props.fromZero ? { y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.1 : 1] } } : {}
    const open = props.openLabel ? [{ label: props.openLabel, stroke: c, dash: [3, 3], width: 1.5, points: { show: true, size: 4 } }] : []
    return {
      legend: { show: false }, cursor: { show: false }, axes: [{ show: false }, { show: false }],
      scales: { x: { time: true }, ...y },
      series: [{}, { stroke: c, fill: c + '22', width: 1.5, points: { show: false } }, ...open],
    } as Omit<uPlot.Options, 'width' | 'height'>
  }
  return (
    <div class="spark" data-open-t={props.openT?.() ?? ''}>
      <Chart label={props.openLabel ? `${props.label}; dashed: ${props.openLabel}` : props.label} options={options} data={props.data} subscribe={props.subscribe} height={40} />
    </div>
  )
}
