// UI benchmark page (bench/ui): N candle charts fed by synthetic frames that the benchmark's
// worker (./synthetic-worker.ts) encodes and the production worker code decodes exactly like
// socket frames, then ring buffers and one rAF loop. Built only by `vite build --mode bench`.
import { createSignal, For } from 'solid-js'
import { render } from 'solid-js/web'
import type uPlot from 'uplot'
import { Chart } from '../src/components/Chart.tsx'
import { candleOptions } from '../src/components/candles.ts'
import { Freshness } from '../src/components/Freshness.tsx'
import { createLiveClient, type LiveStore } from '../src/live/client.ts'
import type { FromWorker } from '../src/live/messages.ts'
import { palette } from '../src/theme.ts'
import type { BenchFromWorker, BenchToWorker } from './synthetic-worker.ts'
import '../src/styles.css'

const params = new URLSearchParams(location.search)
const charts = Number(params.get('charts') ?? 6)
const pointsPerSecond = Number(params.get('rate') ?? 100_000)
const capacity = Number(params.get('capacity') ?? 2000)

const worker = new Worker(new URL('./synthetic-worker.ts', import.meta.url), { type: 'module' })
const [framesPerS, setFramesPerS] = createSignal(0)
worker.addEventListener('message', (e: MessageEvent<BenchFromWorker | FromWorker>) => e.data.t === 'bench-stats' && setFramesPerS(e.data.frames))

// Rows applied to the stores: counted here, around the page's own apply, so production code carries no counter.
let pointsApplied = 0
function counted(store: LiveStore): LiveStore {
  const apply = store.apply.bind(store)
  store.apply = (m) => {
    pointsApplied += (m.t === 'snapshot' ? m.cols[0]?.length : m.upsert?.[0]?.length) ?? 0
    apply(m)
  }
  return store
}

const client = createLiveClient(location.origin, '', worker)
const stores = Array.from({ length: charts }, (_, i) => counted(client.subscribe('candles', { symbol: `SYN${i}`, interval: '1s' }, { capacity })))
worker.postMessage({ t: 'rate', pointsPerSecond } satisfies BenchToWorker)

function Bench() {
  // The trader view's chart, volume bars included: the benchmark measures what users get.
  const options = () => candleOptions(palette(), { volume: true })
  return (
    <main class="view">
      <p data-testid="bench-info">{charts} charts · {pointsPerSecond} points/s · {capacity} points per chart · decoded frames/s: {framesPerS()}</p>
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
;(window as unknown as { __bench: unknown }).__bench = { points: () => pointsApplied }
