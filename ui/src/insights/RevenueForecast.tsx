// Net revenue per hour: the last 48 h (sales_trend) and the next 24 h forecast with its 80 %
// band (revenue_forecast); also hands the band to the live revenue chart.
import { createEffect, createMemo, Show } from 'solid-js'
import { Panel } from '../components/Panel.tsx'
import { useQuery } from '../components/use-query.ts'
import { chTime, money } from '../format.ts'
import { ForecastChart } from './ForecastChart.tsx'
import { toBand, type Band } from './forecast-band.ts'
import { setRevenueBand } from './selection.ts'

export function RevenueForecast(props: { shop: string; currency: string }) {
  const forecast = useQuery('revenue_forecast', () => ({ shop: props.shop, interval: '1h', horizon: 24 }), 300_000)
  const trend = useQuery('sales_trend', () => ({ shop: props.shop, metric: 'revenue', interval: '1h', from: '-48h' }), 300_000)
  const mine = createMemo(() => (forecast()?.rows ?? []).filter((r) => r.currency === props.currency))
  // The live chart draws revenue per minute: the first hours of the band, each hour's mean minute.
  createEffect(() => setRevenueBand(toBand(mine().slice(0, 3), props.currency, chTime)))
  const hourly = (): Band | undefined => {
    const rows = mine()
    if (!rows.length) return undefined
    return { t: rows.map((r) => chTime(r.t)), stepMs: 3_600_000, forecast: rows.map((r) => Number(r.forecast)), lower: rows.map((r) => Number(r.lower)), upper: rows.map((r) => Number(r.upper)) }
  }
  const history = (): [number[], number[]] => {
    const rows = (trend()?.rows ?? []).filter((r) => r.currency === props.currency)
    return [rows.map((r) => chTime(r.t)), rows.map((r) => Number(r.value))]
  }
  const total = (k: string) => mine().reduce((s, r) => s + Number(r[k]), 0)
  return (
    <Panel class="wide" title="Revenue forecast (next 24 h, 80 % band)" testid="forecast-panel" loading={forecast.loading && !forecast()} error={forecast.error?.message}>
      <Show when={mine().length} fallback={<p class="empty">No history to forecast from yet.</p>}>
        <ForecastChart label="Net revenue per hour, then the forecast with its band" unit="revenue / h" history={history} band={hourly} />
        <p class="forecast-total" data-testid="forecast-total">
          Next 24 h: <b>{money(total('forecast'), props.currency)}</b> <small>(sum of the hourly forecasts; each hour's 80 % band is drawn)</small>
        </p>
      </Show>
    </Panel>
  )
}
