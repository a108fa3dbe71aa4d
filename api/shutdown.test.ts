import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { exitOnSignals } from './shutdown.ts'

function setUp(stop: () => Promise<void>) {
  const signals = new EventEmitter()
  const exits: number[] = []
  const errors: string[] = []
  const stopSpy = vi.fn(stop)
  exitOnSignals({ stop: stopSpy, log: { info() {}, error: (m) => errors.push(m) }, timeoutMs: 5000, exit: (c) => exits.push(c), signals: signals as unknown as NodeJS.Process })
  return { signals, exits, errors, stopSpy }
}

describe('exit on SIGTERM/SIGINT', () => {
  afterEach(() => vi.useRealTimers())

  it('stops once and exits 0, however many signals come', async () => {
    const s = setUp(() => Promise.resolve())
    s.signals.emit('SIGTERM')
    s.signals.emit('SIGINT')
    await vi.waitFor(() => expect(s.exits).toEqual([0]), { timeout: 30_000 })
    expect(s.stopSpy).toHaveBeenCalledTimes(1)
  })

  it('exits 1 when the stop fails', async () => {
    const s = setUp(() => Promise.reject(new Error('flush failed')))
    s.signals.emit('SIGINT')
    await vi.waitFor(() => expect(s.exits).toEqual([1]), { timeout: 30_000 })
    expect(s.errors).toEqual(['stop failed'])
  })

  it('exits 1 when the stop hangs past the timeout', () => {
    vi.useFakeTimers()
    const s = setUp(() => new Promise(() => {}))
    s.signals.emit('SIGTERM')
    vi.advanceTimersByTime(4999)
    expect(s.exits).toEqual([])
    vi.advanceTimersByTime(1)
    expect(s.exits).toEqual([1])
    expect(s.errors).toEqual(['stop did not finish in time: exiting'])
  })
})
