// The revenue forecast band as a uPlot plugin: a shaded 80 % band and a dashed forecast line
// ahead of the live per-minute revenue line, and an x range reaching the band's end.
import uPlot from 'uplot'
import { revenueBand } from './selection.ts'

/** Forecast buckets in the chart's units (revenue per minute). */
export interface Band {
  t: number[]
  stepMs: number
  forecast: number[]
  lower: number[]
  upper: number[]
}

/** Hourly forecast rows of one currency (revenue_forecast) → a band of revenue per minute, the hour's mean. */
export function toBand(rows: Record<string, unknown>[], currency: string, chTime: (v: unknown) => number): Band | undefined {
  const mine = rows.filter((r) => r.currency === currency)
  if (!mine.length) return undefined
  const perMinute = (k: string) => mine.map((r) => Number(r[k]) / 60)
  return { t: mine.map((r) => chTime(r.t)), stepMs: 3_600_000, forecast: perMinute('forecast'), lower: perMinute('lower'), upper: perMinute('upper') }
}

export function forecastBand(color = '#f59e0b', get: () => Band | undefined = revenueBand): uPlot.Plugin {
  return {
    opts: (_u, opts) => {
      const x = opts.scales?.x ?? {}
      const y = opts.scales?.y ?? {}
      opts.scales = {
        ...opts.scales,
        x: { ...x, range: (_self, min, max) => (min == null || max == null ? [min, max] : [min, Math.max(max, bandEnd(get()) ?? max)]) },
        y: { ...y, range: (_self, min, max) => uPlot.rangeNum(Math.min(0, min ?? 0), Math.max(max ?? 0, ...(get()?.upper ?? [])), 0.1, true) },
      }
    },
    hooks: {
      draw: [(u) => {
        const b = get()
        // Where the band ends, for tests and anyone inspecting the chart.
        u.root.dataset.forecastBandEnd = String(bandEnd(b) ?? '')
        if (!b) return
        const { ctx } = u
        ctx.save()
        ctx.beginPath()
        ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height)
        ctx.clip()
        ctx.fillStyle = color + '33'
        ctx.strokeStyle = color
        ctx.lineWidth = 1.5 * devicePixelRatio
        ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio])
        ctx.beginPath()
        b.t.forEach((t, i) => {
          const [x0, x1] = [u.valToPos(t, 'x', true), u.valToPos(t + b.stepMs, 'x', true)]
          const [y0, y1] = [u.valToPos(b.upper[i], 'y', true), u.valToPos(b.lower[i], 'y', true)]
          ctx.fillRect(x0, y0, x1 - x0, Math.max(1, y1 - y0))
          const yf = u.valToPos(b.forecast[i], 'y', true)
          ctx.moveTo(x0, yf)
          ctx.lineTo(x1, yf)
        })
        ctx.stroke()
        ctx.restore()
      }],
    },
  }
}

const bandEnd = (b: Band | undefined) => (b?.t.length ? b.t[b.t.length - 1] + b.stepMs : undefined)
