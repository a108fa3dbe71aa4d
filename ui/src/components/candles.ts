import type uPlot from 'uplot'
import type { palette } from '../theme.ts'
import { baseOptions } from './Chart.tsx'

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

/**
 * Draws OHLC candles from series 1–4 (open, high, low, close), which have no paths of
 * their own, and, given a `volume` fill, series 5 as bars on the `vol` scale behind them.
 * One batched path per colour keeps it cheap at thousands of candles.
 */
export function candlePlugin(colors: { up: string; down: string; volume?: string }): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const [xs, o, h, l, c] = u.data as unknown as ArrayLike<number>[]
        const n = xs.length
        if (n === 0) return
        const ctx = u.ctx
        const [i0, i1] = [Math.max(0, u.series[0].idxs?.[0] ?? 0), Math.min(n - 1, u.series[0].idxs?.[1] ?? n - 1)]
        const span = n > 1 ? Math.abs(u.valToPos(xs[1], 'x', true) - u.valToPos(xs[0], 'x', true)) : 10
        const bodyW = Math.max(1, Math.min(24, span * 0.7))
        const { left, top, width, height } = u.bbox
        ctx.save()
        ctx.beginPath()
        ctx.rect(left, top, width, height)
        ctx.clip()
        if (colors.volume) {
          const v = (u.data as unknown as ArrayLike<number>[])[5]
          const y0 = u.valToPos(0, 'vol', true)
          ctx.fillStyle = colors.volume
          // One fillRect per pixel column, the tallest bar of the candles it covers: a path of
          // thousands of overlapping tall rects made its fill the most costly part of a frame.
          let barX = NaN
          let barTop = y0
          for (let i = i0; i <= i1 + 1; i++) {
            const x = i <= i1 ? Math.round(u.valToPos(xs[i], 'x', true)) : NaN
            if (x !== barX) {
              if (barTop < y0) ctx.fillRect(barX - bodyW / 2, barTop, bodyW, y0 - barTop)
              barX = x
              barTop = y0
            }
            if (i <= i1 && v[i] > 0) barTop = Math.min(barTop, u.valToPos(v[i], 'vol', true))
          }
        }
        for (const up of [true, false]) {
          ctx.fillStyle = up ? colors.up : colors.down
          ctx.beginPath()
          for (let i = i0; i <= i1; i++) {
            if ((c[i] >= o[i]) !== up || Number.isNaN(o[i])) continue
            const x = Math.round(u.valToPos(xs[i], 'x', true))
            const yh = u.valToPos(h[i], 'y', true)
            const yl = u.valToPos(l[i], 'y', true)
            const yo = u.valToPos(o[i], 'y', true)
            const yc = u.valToPos(c[i], 'y', true)
            ctx.rect(x - 0.5, yh, 1, Math.max(1, yl - yh))
            ctx.rect(x - bodyW / 2, Math.min(yo, yc), bodyW, Math.max(1, Math.abs(yc - yo)))
          }
          ctx.fill()
        }
        ctx.restore()
      },
    },
  }
}
