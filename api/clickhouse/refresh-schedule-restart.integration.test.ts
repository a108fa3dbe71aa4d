// The insights' refreshable views across a restart, on the real embedded engine: the engine forgets when
// its views last ran, so the gateway keeps the orders block they had all read (DATA_DIR/insights-refresh.json).
// A restart with no order since stops them at the first look instead of refreshing them again; an order
// after the restart starts them.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest } from '../../test/support/gateway.ts'
import { gatewayProcessesForFile } from '../../test/support/gateway-file.ts'
import { anOrder, insightsRefreshPaused } from '../../test/support/insights-views.ts'

const processes = gatewayProcessesForFile()

it('a gateway restarted with no order since its views last read them stops the views at its first look, and starts them on the next order', async () => {
  // Looks 65 s apart: the views' minute-boundary refresh always falls between two of them.
  const first = await processes.start({ INSIGHTS_IDLE_CHECK_MS: '65000', INSIGHTS_IDLE_REFRESH_MS: '3600000' })
  const state = join(first.dataDir, 'insights-refresh.json')
  expect((await ingest(first, 'orders', [anOrder('rr-1', 'rr-shop')])).status).toBe(200)
  // The views refresh at their next minute boundary, and the look after that notes the order's block as read.
  await eventually(() => expect(existsSync(state) ? JSON.parse(readFileSync(state, 'utf8')).coveredBlock : -1).toBeGreaterThanOrEqual(1), { timeoutMs: 180_000, intervalMs: 500 })
  await first.stop()

  // An hour between looks: only the look a few seconds after start can stop the views here.
  const second = await processes.start({ INSIGHTS_IDLE_CHECK_MS: '3600000', INSIGHTS_IDLE_REFRESH_MS: '3600000' }, first.dataDir)
  await eventually(async () => expect(await insightsRefreshPaused(second)).toBe('1'), { timeoutMs: 60_000, intervalMs: 200 })
  expect((await ingest(second, 'orders', [anOrder('rr-2', 'rr-shop')])).status).toBe(200)
  await eventually(async () => expect(await insightsRefreshPaused(second)).toBe('0'), { timeoutMs: 60_000, intervalMs: 200 })
}, 300_000)
