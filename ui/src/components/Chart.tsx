import { createEffect, on, onCleanup, onMount, Show } from 'solid-js'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { markDirty } from '../live/frame-loop.ts'
import { theme } from '../theme.ts'
import { AlertMeButton } from '../alerts/AlertMe.tsx'
import type { RulePrefill } from '../alerts/state.ts'

export interface ChartProps {
  /** Options without width/height; called once per chart (and again after a theme change). */
  options: () => Omit<uPlot.Options, 'width' | 'height'>
  data: () => uPlot.AlignedData
  /** Registers a redraw callback; returns its unregister. Without it, the chart redraws when `data` changes. */
  subscribe?: (redraw: () => void) => () => void
  height?: number
  label: string
  /** Shows "alert me", opening the rule form with what this returns (the chart's channel, column, last value). */
  alertMe?: () => RulePrefill | undefined
}

/**
 * A uPlot chart created once: data changes call setData (at most once per frame
 * through markDirty), size changes call setSize, cleanup destroys it. While the
 * user has zoomed or panned, new data keeps their x range.
 */
export function Chart(props: ChartProps) {
  let el!: HTMLDivElement
  let u: uPlot | undefined
  let follow = true
  let internal = false
  // uPlot fires setScale from a microtask after setData or construction: `internal` stays
  // set until then, so only the user's zoom or pan stops the chart following new data.
  const quiet = (f: () => void) => {
    internal = true
    f()
    queueMicrotask(() => (internal = false))
  }
  const redraw = () => {
    if (!u) return
    quiet(() => u!.setData(props.data(), follow))
  }
  onMount(() => {
    // A theme change rebuilds the chart (colours are options); the data and subscriptions stay.
    createEffect(on(theme, () => {
      u?.destroy()
      const opts = props.options()
      const hooks = { ...opts.hooks, setScale: [(_: uPlot, key: string) => void (key === 'x' && !internal && (follow = false))] }
      quiet(() => (u = new uPlot({ ...opts, hooks, width: Math.max(100, el.clientWidth), height: props.height ?? 260, ms: 1 } as uPlot.Options, props.data(), el)))
    }))
    el.addEventListener('dblclick', () => (follow = true))
    const ro = new ResizeObserver(() => u && el.clientWidth > 0 && u.setSize({ width: el.clientWidth, height: props.height ?? 260 }))
    ro.observe(el)
    // Height changes (a taller widget) do not fire the ResizeObserver, which watches the width.
    createEffect(on(() => props.height, (h) => u && u.setSize({ width: Math.max(100, el.clientWidth), height: h ?? 260 }), { defer: true }))
    if (!props.subscribe) createEffect(on(() => props.data(), () => markDirty(redraw), { defer: true }))
    const off = props.subscribe?.(() => markDirty(redraw))
    onCleanup(() => {
      off?.()
      ro.disconnect()
      u?.destroy()
      u = undefined
    })
  })
  return (
    <>
      <div class="chart" ref={el} role="img" aria-label={props.label} />
      <Show when={props.alertMe}>{(f) => <AlertMeButton prefill={f()} label={`Alert me: ${props.label}`} />}</Show>
    </>
  )
}

/** Axes and grid in the theme's colours, times in UTC. */
export function baseOptions(p: ReturnType<typeof import('../theme.ts').palette>): Partial<uPlot.Options> {
  const axis = { stroke: p.muted, grid: { stroke: p.grid, width: 1 }, ticks: { stroke: p.grid, width: 1 } }
  return {
    tzDate: (ts: number) => uPlot.tzDate(new Date(ts), 'Etc/UTC'),
    axes: [axis, { ...axis, size: 60 }],
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false, setScale: true } },
  }
}
