// UI benchmark page (bench/ui): N candle charts fed by synthetic frames that the live
// worker encodes and decodes exactly like socket frames, then ring buffers and one rAF loop.
import { For, onMount } from 'solid-js'
import { render } from 'solid-js/web'
import type uPlot from 'uplot'
import { Chart } from './components/Chart.tsx'
import { candleOptions } from './components/candles.ts'
import { Freshness } from './components/Freshness.tsx'
import { createLiveClient, LiveStore } from './live/client.ts'
import { palette } from './theme.ts'
import './styles.css'

const params = new URLSearchParams(location.search)
const charts = Number(params.get('charts') ?? 6)
const pointsPerSecond = Number(params.get('rate') ?? 100_000)
const capacity = Number(params.get('capacity') ?? 2000)

const client = createLiveClient(location.origin, '')
const stores = Array.from({ length: charts }, () => client.subscribe('synthetic', {}, { capacity }))

function Bench() {
  onMount(() => client.synthetic(stores, pointsPerSecond))
  // The trader view's chart, volume bars included: the benchmark measures what users get.
  const options = () => candleOptions(palette(), { volume: true })
  return (
    <main class="view">
      <p data-testid="bench-info">{charts} charts · {pointsPerSecond} points/s · {capacity} points per chart · decoded frames/s: {client.framesPerS()}</p>
      <div class="grid">
        <For each={stores}>
          {(s, i) => (
            <section class="panel" aria-label={`chart ${i()}`}>
              <header><h2>synthetic {i()}</h2><Freshness at={() => (s.version(), s.newestAt)} /></header>
              <Chart label={`synthetic ${i()}`} options={options} height={220} subscribe={(f) => s.onChange(f)}
                data={() => (s.series ? [0, 1, 2, 3, 4, 5].map((c) => s.series!.column(c)) : [[], [], [], [], [], []]) as unknown as uPlot.AlignedData} />
            </section>
          )}
        </For>
      </div>
    </main>
  )
}

render(() => <Bench />, document.getElementById('root')!)
;(window as unknown as { __bench: unknown }).__bench = { points: () => LiveStore.pointsApplied }
