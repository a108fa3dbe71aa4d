// A history line with a forecast band after it (revenue per hour, or a product's units per day).
import type uPlot from 'uplot'
import { baseOptions, Chart } from '../components/Chart.tsx'
import { num } from '../format.ts'
import { palette } from '../theme.ts'
import { forecastBand, type Band } from './forecast-band.ts'

export function ForecastChart(props: { label: string; history: () => [number[], number[]]; band: () => Band | undefined; unit: string }) {
  const options = () => {
    const p = palette()
    return {
      ...baseOptions(p),
      scales: { x: { time: true } },
      series: [{}, { label: props.unit, stroke: p.accent, width: 2, value: (_u: uPlot, v: number) => num(v) }],
      plugins: [forecastBand(p.accent2, props.band)],
    } as Omit<uPlot.Options, 'width' | 'height'>
  }
  const data = () => {
    props.band()
    return props.history() as unknown as uPlot.AlignedData
  }
  return <Chart label={props.label} options={options} data={data} height={200} />
}
