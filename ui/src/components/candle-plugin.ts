import type uPlot from 'uplot'

/**
 * Draws OHLC candles from series 1–4 (open, high, low, close), which have no paths of
 * their own, and, given a `volume` fill, series 5 as bars on the `vol` scale behind them.
 * Candles that land on one pixel column are drawn as one (first open, highest high, lowest
 * low, last close, largest volume), each with fillRect: at thousands of candles a path of
 * overlapping rects made the fill the most costly part of a frame.
 */
export function candlePlugin(colors: { up: string; down: string; volume?: string }): uPlot.Plugin {
  let cols = new Float64Array(0)
  return {
    hooks: {
      draw: (u) => {
        const d = u.data as unknown as ArrayLike<number>[]
        const [xs, o, h, l, c] = d
        const v = colors.volume ? d[5] : undefined
        const n = xs.length
        if (n === 0) return
        const [i0, i1] = [Math.max(0, u.series[0].idxs?.[0] ?? 0), Math.min(n - 1, u.series[0].idxs?.[1] ?? n - 1)]
        const span = n > 1 ? Math.abs(u.valToPos(xs[1], 'x', true) - u.valToPos(xs[0], 'x', true)) : 10
        const bodyW = Math.max(1, Math.min(24, span * 0.7))
        // Six values per pixel column: x, open, high, low, close, volume.
        if (cols.length < 6 * (i1 - i0 + 1)) cols = new Float64Array(6 * (i1 - i0 + 1))
        let k = -6
        for (let i = i0; i <= i1; i++) {
          if (Number.isNaN(o[i])) continue
          const x = Math.round(u.valToPos(xs[i], 'x', true))
          const vol = v ? v[i] : 0
          if (k < 0 || x !== cols[k]) {
            k += 6
            cols[k] = x
            cols[k + 1] = o[i]
            cols[k + 2] = h[i]
            cols[k + 3] = l[i]
            cols[k + 5] = vol > 0 ? vol : 0
          } else {
            if (h[i] > cols[k + 2]) cols[k + 2] = h[i]
            if (l[i] < cols[k + 3]) cols[k + 3] = l[i]
            if (vol > cols[k + 5]) cols[k + 5] = vol
          }
          cols[k + 4] = c[i]
        }
        const ctx = u.ctx
        const { left, top, width, height } = u.bbox
        ctx.save()
        ctx.beginPath()
        ctx.rect(left, top, width, height)
        ctx.clip()
        if (colors.volume) {
          const y0 = u.valToPos(0, 'vol', true)
          ctx.fillStyle = colors.volume
          for (let j = 0; j <= k; j += 6) {
            if (cols[j + 5] <= 0) continue
            const y = u.valToPos(cols[j + 5], 'vol', true)
            ctx.fillRect(cols[j] - bodyW / 2, y, bodyW, y0 - y)
          }
        }
        for (const up of [true, false]) {
          ctx.fillStyle = up ? colors.up : colors.down
          for (let j = 0; j <= k; j += 6) {
            if ((cols[j + 4] >= cols[j + 1]) !== up) continue
            const yh = u.valToPos(cols[j + 2], 'y', true)
            const yl = u.valToPos(cols[j + 3], 'y', true)
            const yo = u.valToPos(cols[j + 1], 'y', true)
            const yc = u.valToPos(cols[j + 4], 'y', true)
            ctx.fillRect(cols[j] - 0.5, yh, 1, Math.max(1, yl - yh))
            ctx.fillRect(cols[j] - bodyW / 2, Math.min(yo, yc), bodyW, Math.max(1, Math.abs(yc - yo)))
          }
        }
        ctx.restore()
      },
    },
  }
}
