import type { ClickHouseClient } from '@clickhouse/client'

export interface RefreshPauseOptions {
  ch: ClickHouseClient
  /** How often to look whether orders arrived. */
  checkMs: number
  /** While paused, the views still run once this often (their windows move with the clock). */
  idleRefreshMs: number
  onError?: (e: unknown) => void
}

/**
 * The insights' refreshable views (clickhouse/views/021, 023–025) re-read up to 90 days of orders
 * every minute, so their cost grows with the data kept: an idle gateway with 150 s of 20k/s demo
 * data behind it spent more than twice its budget on them. Embedded engine only: when no order was
 * written since the last check, the views are stopped (`SYSTEM STOP VIEWS`) until orders arrive,
 * and started for two checks every `idleRefreshMs` so their answers follow the clock.
 */
export function startRefreshPause(o: RefreshPauseOptions) {
  let lastBlock: string | undefined
  let paused = false
  let lastRunMs = Date.now()
  /** Checks left before pausing again after an idle refresh (two, so a refresh at the next minute runs). */
  let graceChecks = 0
  let checking = false

  const ordersBlock = async () => {
    const rs = await o.ch.query({ query: "SELECT toString(max(max_block_number)) AS b FROM system.parts WHERE database = currentDatabase() AND table = 'orders'", format: 'JSONEachRow' })
    return ((await rs.json()) as { b: string }[])[0]?.b ?? ''
  }
  const set = async (run: boolean) => {
    await o.ch.command({ query: run ? 'SYSTEM START VIEWS' : 'SYSTEM STOP VIEWS' })
    paused = !run
    if (run) lastRunMs = Date.now()
  }

  async function check() {
    if (checking) return
    checking = true
    try {
      const block = await ordersBlock()
      const first = lastBlock === undefined
      const changed = block !== lastBlock
      lastBlock = block
      if (first) return
      if (changed) {
        graceChecks = 0
        if (paused) await set(true)
      } else if (paused && Date.now() - lastRunMs >= o.idleRefreshMs) {
        graceChecks = 2
        await set(true)
      } else if (!paused && graceChecks-- <= 0) await set(false)
    } catch (e) {
      o.onError?.(e)
    } finally {
      checking = false
    }
  }

  const timer = setInterval(() => void check(), o.checkMs)
  timer.unref()
  return {
    /** Whether the views are stopped now (for tests and metrics). */
    paused: () => paused,
    check,
    /** Stops checking (a stop of the views lasts only as long as this process's engine). */
    stop() {
      clearInterval(timer)
    },
  }
}
