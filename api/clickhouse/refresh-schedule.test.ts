import { afterEach, expect, it, vi } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRefreshView, refreshPeriodMin, refreshSpanMs, startRefreshSchedule, type RefreshView } from './refresh-schedule.ts'

afterEach(() => vi.useRealTimers())

// CREATE statements as system.tables shows them (chDB 26.7).
const baselines = 'CREATE MATERIALIZED VIEW insights.risk_baselines REFRESH EVERY 1 MINUTE (`computed_at` DateTime64(3, \'UTC\'), `shop_id` String) ENGINE = MergeTree ORDER BY shop_id SETTINGS index_granularity = 8192 DEFINER = default SQL SECURITY DEFINER AS SELECT 1'
const orderRisk = 'CREATE MATERIALIZED VIEW insights.order_risk REFRESH EVERY 5 MINUTE DEPENDS ON insights.risk_baselines, insights.risk_countries (`shop_id` String) ENGINE = MergeTree ORDER BY shop_id AS SELECT 1'
const view = (name: string, lastMs: number | null, dependsOn = '', everyMin = 1): RefreshView => ({ id: name, name, everyMin, dependsOn, lastMs })

it('steps the period to the shortest that keeps the burst within its share of the time, and steps back down only with room to spare', () => {
  const budget = 0.05 // 3 s a minute
  expect(refreshPeriodMin(2_000, budget, 1)).toBe(1)
  expect(refreshPeriodMin(3_000, budget, 1)).toBe(1)
  expect(refreshPeriodMin(3_001, budget, 1)).toBe(2)
  expect(refreshPeriodMin(20_000, budget, 1)).toBe(10)
  expect(refreshPeriodMin(2_500, budget, 5)).toBe(2) // 1 min would need ≤ 2.1 s
  expect(refreshPeriodMin(4_500, budget, 2)).toBe(2) // staying put needs no spare room
  expect(refreshPeriodMin(10 * 60_000, budget, 1)).toBe(60) // beyond every step's budget: the longest
  expect(refreshPeriodMin(10 * 60_000, 0, 60)).toBe(1) // no budget: every minute
})

it('reads a view\'s period and dependencies from its CREATE statement and leaves other schedules alone', () => {
  expect(parseRefreshView('insights', 'risk_baselines', baselines, 120)).toEqual({ id: '`insights`.`risk_baselines`', name: 'insights.risk_baselines', everyMin: 1, dependsOn: '', lastMs: 120 })
  expect(parseRefreshView('insights', 'order_risk', orderRisk, null)).toMatchObject({ everyMin: 5, dependsOn: 'insights.risk_baselines, insights.risk_countries', lastMs: null })
  expect(parseRefreshView('i', 'h', 'CREATE MATERIALIZED VIEW i.h REFRESH EVERY 2 HOUR (`x` UInt8) ENGINE = Memory AS SELECT 1', 1)?.everyMin).toBe(120)
  expect(parseRefreshView('i', 'a', 'CREATE MATERIALIZED VIEW i.a REFRESH AFTER 1 MINUTE (`x` UInt8) ENGINE = Memory AS SELECT 1', 1)).toBeUndefined()
  expect(parseRefreshView('i', 'o', 'CREATE MATERIALIZED VIEW i.o REFRESH EVERY 1 DAY OFFSET 2 HOUR (`x` UInt8) ENGINE = Memory AS SELECT 1', 1)).toBeUndefined()
})

it('spans a burst as the slowest view of each dependency level, unknown until every view refreshed once', () => {
  const roots = [view('i.a', 300), view('i.b', 900), view('i.c', 100)]
  expect(refreshSpanMs(roots)).toBe(900)
  expect(refreshSpanMs([...roots, view('i.d', 400, 'i.a, i.b'), view('i.e', 50, 'i.c')])).toBe(1_300)
  expect(refreshSpanMs([...roots, view('i.f', 20, 'i.d'), view('i.d', 400, 'i.a')])).toBe(1_320)
  // A view reached twice (c, through a and through x) counts at its own level on both paths: d waits for e, c, x, b.
  const deep = [view('i.e', 10), view('i.c', 20, 'i.e'), view('i.a', 30, 'i.c'), view('i.x', 40, 'i.c'), view('i.b', 50, 'i.x'), view('i.d', 60, 'i.a, i.b')]
  expect(refreshSpanMs(deep)).toBe(10 + 20 + 40 + 50 + 60)
  expect(refreshSpanMs([view('i.p', 5, 'i.q'), view('i.q', 7, 'i.p')])).toBe(12) // a cycle (the engine refuses one) ends, not loops
  expect(refreshSpanMs([view('i.a', 300), view('i.b', null)])).toBeUndefined()
})

/** A stand-in engine: the orders table's highest block number, the views it reports, and the statements received. */
function fakeEngine() {
  const state = {
    block: '1',
    /** Rows in the orders table's live parts. */
    rows: '5',
    /** Looks at the orders table so far, and reads of the views. */
    looks: 0,
    viewReads: 0,
    commands: [] as string[],
    views: [
      { database: 'insights', view: 'risk_baselines', q: baselines.replace('5 MINUTE', '1 MINUTE'), ms: 100 as number | null, refreshed: 0, succeeded: null as number | null, running: 0 },
      { database: 'insights', view: 'order_risk', q: orderRisk.replace('5 MINUTE', '1 MINUTE'), ms: 50 as number | null, refreshed: 0, succeeded: null as number | null, running: 0 },
    ],
  }
  const ch = {
    query: async ({ query }: { query: string }) => {
      if (/system\.parts/.test(query)) state.looks++
      else state.viewReads++
      return { json: async () => (/system\.parts/.test(query) ? [{ b: state.block, rows: state.rows }] : state.views) }
    },
    command: async ({ query }: { query: string }) => {
      state.commands.push(query)
      const m = /^ALTER TABLE `(\w+)`\.`(\w+)` MODIFY REFRESH EVERY (\d+) MINUTE/.exec(query)
      const v = m && state.views.find((x) => x.view === m[2])
      if (v) v.q = v.q.replace(/EVERY \d+ MINUTE/, `EVERY ${m![3]} MINUTE`)
    },
  } as unknown as ClickHouseClient
  return { state, ch }
}

it('pauses after a quiet check, runs again on new orders, and refreshes every view once per idle interval', async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  const { state, ch } = fakeEngine()
  const s = startRefreshSchedule({ ch, checkMs: 3_600_000, wakeCheckMs: 3_600_000, idleRefreshMs: 10 * 60_000, budget: 0.05 })
  try {
    await s.check() // the first look only records where orders stand
    expect(s.stats().paused).toBe(false)
    await s.check()
    expect([s.stats().paused, state.commands]).toEqual([true, ['SYSTEM STOP VIEWS']])
    state.block = '2'
    await s.check()
    expect([s.stats().paused, state.commands.at(-1)]).toEqual([false, 'SYSTEM START VIEWS'])
    await s.check()
    expect(s.stats().paused).toBe(true)

    vi.setSystemTime(Date.now() + 10 * 60_000)
    state.commands.length = 0
    await s.check()
    expect([s.stats().paused, state.commands]).toEqual([false, ['SYSTEM START VIEWS', 'SYSTEM REFRESH VIEW `insights`.`risk_baselines`', 'SYSTEM REFRESH VIEW `insights`.`order_risk`']])
    state.views[0].refreshed = Math.floor(Date.now() / 1000)
    await s.check()
    expect(s.stats().paused).toBe(false) // order_risk has not refreshed yet
    state.views[1].refreshed = Math.floor(Date.now() / 1000)
    state.views[1].running = 1
    await s.check()
    expect(s.stats().paused).toBe(false) // … and a stop would cancel it while it runs
    state.views[1].running = 0
    await s.check()
    expect([s.stats().paused, state.commands.at(-1)]).toEqual([true, 'SYSTEM STOP VIEWS'])
  } finally {
    s.stop()
  }
})

it('while orders flow, sets every view\'s period from the burst\'s span, keeping each view\'s dependencies', async () => {
  const { state, ch } = fakeEngine()
  const periods: number[] = []
  const s = startRefreshSchedule({ ch, checkMs: 3_600_000, wakeCheckMs: 3_600_000, idleRefreshMs: 10 * 60_000, budget: 0.05, onPeriod: (m) => periods.push(m) })
  try {
    await s.check()
    state.block = '2'
    await s.check()
    expect(state.commands).toEqual([]) // 150 ms a minute: within the budget
    state.views[0].ms = 20_000 // the orders behind the views grew
    state.block = '3'
    await s.check()
    expect(state.commands).toEqual([
      'ALTER TABLE `insights`.`risk_baselines` MODIFY REFRESH EVERY 10 MINUTE',
      'ALTER TABLE `insights`.`order_risk` MODIFY REFRESH EVERY 10 MINUTE DEPENDS ON insights.risk_baselines, insights.risk_countries',
    ])
    expect(s.stats()).toEqual({ paused: false, periodMin: 10, spanMs: 20_050 })
    state.block = '4'
    await s.check()
    expect(state.commands).toHaveLength(2) // already there
    state.views[0].ms = null // restarted: unknown until the views ran again
    state.block = '5'
    await s.check()
    state.views[0].ms = 100
    state.block = '6'
    await s.check()
    expect(state.commands.at(-1)).toBe('ALTER TABLE `insights`.`order_risk` MODIFY REFRESH EVERY 1 MINUTE DEPENDS ON insights.risk_baselines, insights.risk_countries')
    expect(periods).toEqual([10, 1])
  } finally {
    s.stop()
  }
})

it('without a budget, puts views an earlier run slowed back to every minute', async () => {
  const { state, ch } = fakeEngine()
  for (const v of state.views) v.q = v.q.replace('EVERY 1 MINUTE', 'EVERY 30 MINUTE')
  state.views[0].ms = null // not refreshed since the restart
  const s = startRefreshSchedule({ ch, checkMs: 3_600_000, wakeCheckMs: 3_600_000, idleRefreshMs: 10 * 60_000, budget: 0 })
  try {
    await s.check()
    state.block = '2'
    await s.check()
    expect(state.commands).toEqual([
      'ALTER TABLE `insights`.`risk_baselines` MODIFY REFRESH EVERY 1 MINUTE',
      'ALTER TABLE `insights`.`order_risk` MODIFY REFRESH EVERY 1 MINUTE DEPENDS ON insights.risk_baselines, insights.risk_countries',
    ])
  } finally {
    s.stop()
  }
})

it('on a directory without orders, stops the views at the first look; stopped, looks every wakeCheckMs and starts them on the first order', async () => {
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
  const { state, ch } = fakeEngine()
  state.rows = '0'
  state.block = ''
  const s = startRefreshSchedule({ ch, checkMs: 60_000, wakeCheckMs: 5000, idleRefreshMs: 10 * 60_000, budget: 0.05 })
  const looks = async (ms: number) => {
    const before = state.looks
    await vi.advanceTimersByTimeAsync(ms)
    return state.looks - before
  }
  try {
    expect(await looks(5000)).toBe(1) // the first look, one wakeCheckMs after start
    expect([s.stats().paused, state.commands]).toEqual([true, ['SYSTEM STOP VIEWS']])
    expect(await looks(20_000)).toBe(4) // stopped: every 5 s, each look one read of system.parts
    await looks(10 * 60_000)
    expect([state.commands, state.viewReads]).toEqual([['SYSTEM STOP VIEWS'], 0]) // no idle refresh without orders
    state.rows = '1'
    state.block = '1'
    await looks(5000)
    expect([s.stats().paused, state.commands.at(-1)]).toEqual([false, 'SYSTEM START VIEWS'])
    expect(await looks(50_000)).toBe(0) // running: every checkMs
    expect(await looks(10_000)).toBe(1)
  } finally {
    s.stop()
  }
})

it('keeps across restarts the orders block every view has read, and a restart with no order since stops the views at its first look', async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  const dir = mkdtempSync(join(tmpdir(), 'lh-refresh-state-'))
  const stateFile = join(dir, 'insights-refresh.json')
  const { state, ch } = fakeEngine()
  const start = () => startRefreshSchedule({ ch, checkMs: 3_600_000, wakeCheckMs: 3_600_000, idleRefreshMs: 10 * 60_000, budget: 0.05, stateFile })
  const refreshed = () => { for (const v of state.views) v.succeeded = Math.floor(Date.now() / 1000) }
  const later = (ms: number) => vi.setSystemTime(Date.now() + ms)
  const kept = () => JSON.parse(readFileSync(stateFile, 'utf8')) as unknown
  try {
    const s1 = start()
    await s1.check() // block 1 seen
    later(10_000)
    refreshed() // … and read by refreshes that started after
    state.block = '2' // an order written while they ran
    later(50_000)
    await s1.check()
    expect(kept()).toEqual({ coveredBlock: 1 })
    s1.stop()

    const s2 = start() // restarted: block 2 is newer than what the views are known to have read
    await s2.check()
    expect([s2.stats().paused, state.commands]).toEqual([false, []])
    later(10_000)
    state.views[1].succeeded = null // one view has not run since this engine started
    state.block = '3'
    later(50_000)
    await s2.check()
    expect(kept()).toEqual({ coveredBlock: 1 })
    later(1000)
    refreshed()
    later(59_000)
    await s2.check() // no order since the last look: the views are read (block 3 noted), then stopped
    expect([kept(), state.commands]).toEqual([{ coveredBlock: 3 }, ['SYSTEM STOP VIEWS']])
    s2.stop()

    state.commands.length = 0
    const s3 = start() // restarted with no order since: nothing to catch up on
    await s3.check()
    expect([s3.stats().paused, state.commands]).toEqual([true, ['SYSTEM STOP VIEWS']])
    s3.stop()

    writeFileSync(stateFile, '{"coveredBlock":"2"}') // not what this code writes: ignored
    state.commands.length = 0
    const s4 = start()
    await s4.check()
    expect([s4.stats().paused, state.commands]).toEqual([false, []])
    s4.stop()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

it('goes on pausing and starting the views when its state file cannot be written', async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  const { state, ch } = fakeEngine()
  const errors: unknown[] = []
  const s = startRefreshSchedule({ ch, checkMs: 3_600_000, wakeCheckMs: 3_600_000, idleRefreshMs: 10 * 60_000, budget: 0.05, stateFile: join(tmpdir(), 'lh-no-such-dir', 'x', 'insights-refresh.json'), onError: (e) => errors.push(e) })
  try {
    await s.check()
    vi.setSystemTime(Date.now() + 10_000)
    for (const v of state.views) v.succeeded = Math.floor(Date.now() / 1000)
    vi.setSystemTime(Date.now() + 50_000)
    await s.check() // notes block 1 as read, fails to keep it, and still stops the views
    expect([s.stats().paused, state.commands, errors.length]).toEqual([true, ['SYSTEM STOP VIEWS'], 1])
  } finally {
    s.stop()
  }
})
