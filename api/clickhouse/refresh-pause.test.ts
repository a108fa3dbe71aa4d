import { afterEach, expect, it, vi } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import { startRefreshPause } from './refresh-pause.ts'

afterEach(() => vi.useRealTimers())

/** A stand-in engine: the orders table's highest block number, and the SYSTEM commands received. */
function fakeEngine() {
  const state = { block: '1', commands: [] as string[] }
  const ch = {
    query: async () => ({ json: async () => [{ b: state.block }] }),
    command: async ({ query }: { query: string }) => void state.commands.push(query),
  } as unknown as ClickHouseClient
  return { state, ch }
}

it('pauses after a quiet check, runs again on new orders, and runs for two checks every idle-refresh interval', async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  const { state, ch } = fakeEngine()
  const p = startRefreshPause({ ch, checkMs: 3_600_000, idleRefreshMs: 10 * 60_000 })
  try {
    await p.check() // the first look only records where orders stand
    expect(p.paused()).toBe(false)
    await p.check()
    expect([p.paused(), state.commands]).toEqual([true, ['SYSTEM STOP VIEWS']])
    state.block = '2'
    await p.check()
    expect([p.paused(), state.commands.at(-1)]).toEqual([false, 'SYSTEM START VIEWS'])
    await p.check()
    expect(p.paused()).toBe(true)
    vi.setSystemTime(Date.now() + 10 * 60_000)
    await p.check()
    expect(p.paused()).toBe(false) // the idle refresh
    await p.check()
    await p.check()
    expect(p.paused()).toBe(false)
    await p.check()
    expect(p.paused()).toBe(true)
    expect(state.commands.filter((c) => c === 'SYSTEM START VIEWS')).toHaveLength(2)
  } finally {
    p.stop()
  }
})
