import type uPlot from 'uplot'
import { describe, expect, it } from 'vitest'
import { candlePlugin } from './candle-plugin.ts'

/** A uPlot stand-in: x maps 1:1 to pixels, prices and volume to 100 − value (up is smaller y); fills are recorded. */
function draw(data: number[][], volume?: string) {
  const fills: [string, ...number[]][] = []
  let style = ''
  const ctx = {
    save() {}, restore() {}, beginPath() {}, rect() {}, clip() {},
    set fillStyle(s: string) { style = s },
    fillRect: (...rect: number[]) => fills.push([style, ...rect]),
  }
  const u = {
    data, ctx, bbox: { left: 0, top: 0, width: 1000, height: 100 }, series: [{ idxs: [0, data[0].length - 1] }],
    valToPos: (v: number, scale: string) => (scale === 'x' ? v : 100 - v),
  }
  ;(candlePlugin({ up: 'up', down: 'down', volume }).hooks.draw as (u: uPlot) => void)(u as unknown as uPlot)
  return fills
}

describe('candlePlugin', () => {
  it('draws candles sharing a pixel column as one (first open, highest high, lowest low, last close, largest volume), volume behind', () => {
    // x 10.2 and 10.4 round to pixel 10; x 20 is its own column. Bodies are 1 px wide (0.2 px apart).
    const [xs, open, high, low, close, vol] = [[10.2, 10.4, 20], [5, 6, 9], [7, 9, 9.5], [4, 3, 8], [6, 8, 8.5], [50, 70, 10]]
    expect(draw([xs, open, high, low, close, vol], 'vol')).toEqual([
      ['vol', 9.5, 30, 1, 70], ['vol', 19.5, 90, 1, 10],
      ['up', 9.5, 91, 1, 6], ['up', 9.5, 92, 1, 3], // open 5 → close 8, wick 9 … 3
      ['down', 19.5, 90.5, 1, 1.5], ['down', 19.5, 91, 1, 1], // open 9 → close 8.5: body at least 1 px
    ])
  })

  it('skips rows without an open, and draws no volume unless asked', () => {
    expect(draw([[1, 2], [NaN, 5], [NaN, 6], [NaN, 4], [NaN, 5], [9, 9]])).toEqual([['up', 1.5, 94, 1, 2], ['up', 1.5, 95, 1, 1]])
  })
})
