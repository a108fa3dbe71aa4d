import { createEffect, createMemo, createSignal, For, Show } from 'solid-js'
import type uPlot from 'uplot'
import { query } from '../api.ts'
import { Chart } from '../components/Chart.tsx'
import { candleOptions } from '../components/candles.ts'
import { Freshness } from '../components/Freshness.tsx'
import { Panel } from '../components/Panel.tsx'
import { chTime, compact, num, pct, time } from '../format.ts'
import type { LiveStore } from '../live/client.ts'
import { useChannel } from '../live/use-channel.ts'
import { claims } from '../session.ts'
import { palette } from '../theme.ts'

type Interval = '1s' | '1m' | '1h'
const intervalMs: Record<Interval, number> = { '1s': 1000, '1m': 60_000, '1h': 3_600_000 }

export function Trader() {
  const ticker = useChannel('ticker', () => ({}))
  const tickerRows = createMemo(() => (ticker()?.version(), ticker()?.list() ?? []))
  const entitled = () => claims()?.symbols
  const [symbol, setSymbol] = createSignal<string>()
  // The first symbol to appear becomes the default once, so ticker updates never switch charts.
  createEffect(() => {
    if (symbol()) return
    const first = Array.isArray(entitled()) ? (entitled() as string[])[0] : (tickerRows()[0]?.[0] as string | undefined)
    if (first) setSymbol(first)
  })
  const [interval, setCandleInterval] = createSignal<Interval>('1s')
  const candles = useChannel('candles', () => (symbol() ? { symbol: symbol(), interval: interval() } : undefined), { capacity: 5000 })
  const tape = useChannel('trades', () => (symbol() ? { symbol: symbol() } : undefined), { maxRows: 40 })
  const movers = createMemo(() => [...tickerRows()].sort((a, b) => Math.abs(Number(b[4])) - Math.abs(Number(a[4]))).slice(0, 8))

  return (
    <div class="view trader" data-testid="trader-view">
      <div class="ticker-strip" role="list" aria-label="Ticker">
        <For each={tickerRows()}>
          {(r) => (
            <button type="button" role="listitem" class={`tick ${Number(r[4]) >= 0 ? 'up' : 'down'}`} aria-pressed={symbol() === r[0]} onClick={() => setSymbol(r[0] as string)}>
              <b>{r[0] as string}</b> {num(r[1], 4)} <span>{pct(r[4])}</span>
            </button>
          )}
        </For>
      </div>
      <div class="grid">
        <Panel
          class="wide"
          title={`${symbol() ?? '…'} · ${interval()} candles`}
          testid="candles-panel"
          loading={!candles()?.version() && !candles()?.error()}
          error={candles()?.error()}
          actions={
            <>
              <Show when={candles()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>
              <div class="segmented" role="group" aria-label="Candle interval">
                <For each={['1s', '1m', '1h'] as Interval[]}>{(i) => <button type="button" aria-pressed={interval() === i} onClick={() => setCandleInterval(i)}>{i}</button>}</For>
              </div>
            </>
          }
        >
          <Show when={candles()} keyed>
            {(s) => <CandleChart store={s} symbol={symbol()!} interval={interval()} />}
          </Show>
        </Panel>
        <Panel title="Trade tape" testid="tape-panel" loading={!tape()?.version()} error={tape()?.error()} actions={<Show when={tape()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <TradeTape store={tape()} />
        </Panel>
        <Panel title="Top movers (24 h)" testid="movers-panel" loading={!ticker()?.version()} error={ticker()?.error()}
          actions={<Show when={ticker()}>{(s) => <Freshness at={() => (s().version(), s().newestAt)} />}</Show>}>
          <table class="compact">
            <caption class="sr-only">Top movers</caption>
            <thead><tr><th scope="col">Symbol</th><th scope="col" class="num">Last</th><th scope="col" class="num">Change</th><th scope="col" class="num">Volume</th></tr></thead>
            <tbody>
              <For each={movers()}>
                {(r) => (
                  <tr class={Number(r[4]) >= 0 ? 'up' : 'down'}>
                    <td><button type="button" class="link" onClick={() => setSymbol(r[0] as string)}>{r[0] as string}</button></td>
                    <td class="num">{num(r[1], 4)}</td><td class="num chg">{pct(r[4])}</td><td class="num">{compact(r[5])}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Panel>
      </div>
    </div>
  )
}

function CandleChart(props: { store: LiveStore; symbol: string; interval: Interval }) {
  const s = props.store
  const [older, setOlder] = createSignal<'idle' | 'loading' | string>('idle')
  const data = (): uPlot.AlignedData => {
    const b = s.series
    if (!b) return [[], [], [], [], [], []]
    return [b.column(0), b.column(1), b.column(2), b.column(3), b.column(4), b.column(5)] as unknown as uPlot.AlignedData
  }
  const options = () => candleOptions(palette(), { volume: true })
  /** Zoom and pan into the past: the previous 300 candles come from the historical API. */
  const loadOlder = async () => {
    const first = s.series?.first(0)
    if (!first) return
    setOlder('loading')
    const step = intervalMs[props.interval]
    try {
      const r = await query('candles', { symbol: props.symbol, interval: props.interval, from: new Date(first - 300 * step).toISOString(), to: new Date(first).toISOString() })
      const rows = r.rows.map((x) => [chTime(x.t), ...['open', 'high', 'low', 'close', 'volume', 'trades'].map((k) => Number(x[k])), NaN])
      const cols = Array.from({ length: 8 }, (_, c) => rows.map((row) => row[c]))
      s.series?.upsert(cols)
      s.touch()
      setOlder(rows.length ? 'idle' : 'no older candles')
    } catch (e) {
      setOlder((e as Error).message)
    }
  }
  return (
    <>
      <Chart label={`${props.symbol} candlestick chart with volume`} options={options} data={data} subscribe={(f) => s.onChange(f)} height={320}
        alertMe={() => ({ channel: 'candles', params: { symbol: props.symbol, interval: props.interval }, column: 'close', op: 'crosses_above', value: s.series?.last(4) })} />
      <div class="chart-tools">
        <button type="button" onClick={loadOlder} disabled={older() === 'loading'}>◀ Load older</button>
        <small>Drag to zoom, double-click to follow live. Times UTC.</small>
        <Show when={older() !== 'idle' && older() !== 'loading'}><small class="error">{older()}</small></Show>
      </div>
    </>
  )
}

function TradeTape(props: { store?: LiveStore }) {
  // list() is a fresh array: sort it in place.
  const rows = createMemo(() => (props.store?.version(), (props.store?.list() ?? []).sort((a, b) => (b[0] as number) - (a[0] as number)).slice(0, 30)))
  return (
    <table class="compact tape">
      <caption class="sr-only">Latest trades</caption>
      <thead><tr><th scope="col">Time (UTC)</th><th scope="col" class="num">Price</th><th scope="col" class="num">Qty</th><th scope="col">Side</th></tr></thead>
      <tbody>
        <For each={rows()}>
          {(r) => (
            <tr class={r[4] === 'buy' ? 'up' : 'down'} data-t={r[0] as number}>
              <td>{time(r[0] as number)}</td><td class="num">{num(r[2], 4)}</td><td class="num">{num(r[3], 4)}</td><td>{r[4] as string}</td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  )
}
