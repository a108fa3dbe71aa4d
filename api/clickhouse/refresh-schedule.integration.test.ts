// The insights' refreshable views on the real embedded engine: they pause while no orders arrive and
// run again as soon as one is written; while orders flow, their period follows what they cost.
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest, rows } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { anOrder, insightsRefreshPaused, insightsViewStatuses } from '../../test/support/insights-views.ts'

// A budget of 0.6 ms a minute: any real burst of refreshes is over it, so the period must step up.
const file = gatewayForFile({ INSIGHTS_IDLE_CHECK_MS: '1000', INSIGHTS_IDLE_REFRESH_MS: '3600000', INSIGHTS_REFRESH_BUDGET: '0.00001' })

const statuses = () => insightsViewStatuses(file.gw.clickhouse('ops'))
/** The period in minutes (the engine writes 60 minutes as 1 HOUR). */
const minutes = (schedule: string) => { const m = /EVERY (\d+) (MINUTE|HOUR)/.exec(schedule); return m ? Number(m[1]) * (m[2] === 'HOUR' ? 60 : 1) : NaN }

/** Orders written one after another until stopped: every check of the schedule sees new ones (on a loaded machine, most checks). */
function ordersFlowing(prefix: string) {
  let running = true
  let n = 0
  const done = (async () => {
    while (running) expect((await ingest(file.gw, 'orders', [anOrder(`${prefix}-${n++}`, 'rp-shop')])).status).toBe(200)
  })()
  return { stop: async () => ((running = false), await done) }
}

it('stops the insights views without new orders and starts them while orders arrive', async () => {
  await eventually(async () => expect(await statuses()).toEqual(['Disabled']), { timeoutMs: 60_000 })
  const flow = ordersFlowing('rp')
  try {
    await eventually(async () => expect(await statuses()).not.toContain('Disabled'), { timeoutMs: 60_000, intervalMs: 50 })
  } finally {
    await flow.stop()
  }
  await eventually(async () => expect(await statuses()).toEqual(['Disabled']), { timeoutMs: 60_000 })
  await eventually(async () => expect(await insightsRefreshPaused(file.gw)).toBe('1'))
}, 200_000)

it('while orders flow, steps every view\'s period up to stay within the budget and keeps their dependencies', async () => {
  const schedules = async () => rows<{ name: string; schedule: string }>(file.gw.clickhouse('ops'),
    "SELECT name, extract(create_table_query, 'REFRESH EVERY [^(]+') AS schedule FROM system.tables WHERE database = 'insights' AND engine = 'MaterializedView' ORDER BY name")
  const before = await schedules()
  expect(before.length).toBeGreaterThanOrEqual(8)
  // (created at 1 minute; the orders of the test above may already have stepped them up)
  const flow = ordersFlowing('rp-flow')
  try {
    await eventually(async () => {
      const after = await schedules()
      expect(after.filter((v) => !(minutes(v.schedule) > 1))).toEqual([])
      // Each view's dependencies are restated with its new period.
      expect(after.map((v) => v.schedule.replace(/EVERY \d+ (MINUTE|HOUR)/, 'EVERY n'))).toEqual(before.map((v) => v.schedule.replace(/EVERY \d+ (MINUTE|HOUR)/, 'EVERY n')))
      expect(after.find((v) => v.name === 'order_risk')?.schedule).toMatch(/DEPENDS ON insights\.risk_baselines, insights\.risk_countries, insights\.risk_products/)
    }, { timeoutMs: 150_000, intervalMs: 300 }) // the views cancelled by the first pause report a duration only after their next run
    const metrics = await (await fetch(`${file.gw.url}/metrics`)).text()
    expect(Number(/^livehouse_insights_refresh_period_seconds (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(60)
    expect(Number(/^livehouse_insights_refresh_span_seconds ([\d.e-]+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
  } finally {
    await flow.stop()
  }
  // The altered views still refresh, dependents after their dependencies. Once paused for want of orders, the
  // schedule leaves the views alone for an idle interval (an hour here); but a check that read the orders just
  // before the last one was stored starts them and the next check stops them again, cancelling a refresh: a
  // view found stopped is started and refreshed again.
  const ch = file.gw.clickhouse('ops')
  const [{ t0 }] = await rows<{ t0: number }>(ch, 'SELECT toUnixTimestamp(now()) AS t0')
  await eventually(async () => {
    const pending = await rows<{ view: string; status: string }>(ch, `SELECT view, status, exception FROM system.view_refreshes WHERE database = 'insights' AND (ifNull(toUnixTimestamp(last_success_time), 0) < ${t0} OR exception != '')`)
    if (pending.some((v) => v.status === 'Disabled')) {
      await ch.command({ query: 'SYSTEM START VIEWS' })
      for (const v of pending) await ch.command({ query: `SYSTEM REFRESH VIEW insights.${v.view}` })
    }
    expect(pending).toEqual([])
  }, { timeoutMs: 180_000, intervalMs: 500 })
}, 300_000)
