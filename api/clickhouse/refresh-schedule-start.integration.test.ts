// The insights' refreshable views on a new data directory, on the real embedded engine: with no order
// at all they stop at the schedule's first look, and start again within seconds of the first order,
// however long the check interval (here an hour: the old schedule would not look before it).
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'
import { anOrder, insightsRefreshPaused, insightsViewStatuses } from '../../test/support/insights-views.ts'

const file = gatewayForFile({ INSIGHTS_IDLE_CHECK_MS: '3600000', INSIGHTS_IDLE_REFRESH_MS: '3600000' })

const statuses = () => insightsViewStatuses(file.gw.clickhouse('ops'))

it('stops the insights views of a directory without orders at start, and starts them within seconds of the first order', async () => {
  await eventually(async () => expect(await statuses()).toEqual(['Disabled']), { timeoutMs: 60_000 })
  expect((await ingest(file.gw, 'orders', [anOrder('rs-1', 'rs-shop')])).status).toBe(200)
  await eventually(async () => expect(await statuses()).not.toContain('Disabled'), { timeoutMs: 60_000, intervalMs: 200 })
  expect(await insightsRefreshPaused(file.gw)).toBe('0')
}, 150_000)
