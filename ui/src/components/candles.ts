import type uPlot from 'uplot'
import type { palette } from '../theme.ts'
import { baseOptions } from './Chart.tsx'
import { candlePlugin } from './candle-plugin.ts'

/**
 * The one candlestick chart (trader view, dashboard widgets, UI benchmark): data
 * `[t, open, high, low, close]`, plus `volume` as bars on their own scale when asked.
 */
export function candleOptions(p: ReturnType<typeof palette>, { volume = false } = {}): Omit<uPlot.Options, 'width' | 'height'> {
  const base = baseOptions(p)
  const hidden = { paths: () => null, points: { show: false } }
  const series: uPlot.Series[] = [
    {},
    { label: 'open', ...hidden, stroke: p.muted },
    { label: 'high', ...hidden, stroke: p.up },
    { label: 'low', ...hidden, stroke: p.down },
    { label: 'close', ...hidden, stroke: p.fg },
  ]
  const options = { ...base, plugins: [candlePlugin(p)], scales: { x: { time: true } }, series }
  if (!volume) return options
  return {
    ...options,
    // Volume (series 5) is drawn by the plugin as one batched path, like the candles:
    // uPlot's bars path builder cost the UI benchmark 55 → 23 fps at 6 charts × 100k points/s.
    plugins: [candlePlugin({ ...p, volume: p.accent + '55' })],
    scales: { ...options.scales, vol: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, (max || 1) * 4] } },
    series: [...series, { label: 'volume', scale: 'vol', ...hidden, stroke: p.accent }],
    axes: [base.axes![0], base.axes![1], { scale: 'vol', show: false }],
  }
}
