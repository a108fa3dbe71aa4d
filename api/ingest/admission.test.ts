import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/errors.ts'
import { createAdmissionControl, createPressureGauge, type Pressure } from './admission.ts'

const calm: Pressure = { loopDelayMs: 5, tickMs: 100 }
const lagging: Pressure = { loopDelayMs: 200, tickMs: 100 }

/** How many of `n` requests the control admits now. */
function admittedOf(c: ReturnType<typeof createAdmissionControl>, n: number) {
  let ok = 0
  for (let i = 0; i < n; i++) {
    try {
      c.admit()
      ok++
    } catch (e) {
      expect(e).toBeInstanceOf(AppError)
      expect([(e as AppError).status, (e as AppError).code, (e as AppError).retryAfterS]).toEqual([503, 'OVERLOADED', 1])
    }
  }
  return ok
}

describe('createAdmissionControl', () => {
  it('sheds for a lagging loop only while someone watches: with no watcher a busy loop slows ingestion but refuses none', () => {
    let watching = false
    const c = createAdmissionControl({ maxLoopDelayMs: 50, maxTickMs: 1000, watched: () => watching })
    for (let i = 0; i < 3; i++) expect(c.step(lagging)).toBe(false)
    expect(admittedOf(c, 100)).toBe(100)
    watching = true
    expect(c.step(lagging)).toBe(true)
    expect(admittedOf(c, 100)).toBe(50)
  })

  it('admits everything while calm', () => {
    const c = createAdmissionControl({ maxLoopDelayMs: 50, maxTickMs: 1000 })
    for (let i = 0; i < 5; i++) expect(c.step(calm)).toBe(false)
    expect(admittedOf(c, 100)).toBe(100)
  })

  it('halves the admitted share per step under pressure, down to its floor, and recovers step by step once calm', () => {
    const changes: [boolean, number][] = []
    const c = createAdmissionControl({ maxLoopDelayMs: 50, maxTickMs: 0, minShare: 0.1, recoverShare: 0.1, onChange: (s, share) => changes.push([s, share]) })
    expect(c.step(lagging)).toBe(true)
    expect(admittedOf(c, 100)).toBe(50)
    c.step(lagging)
    expect(admittedOf(c, 100)).toBe(25)
    for (let i = 0; i < 10; i++) c.step(lagging)
    expect(c.stats().share).toBe(0.1)
    expect(admittedOf(c, 100)).toBe(10)
    for (let i = 0; i < 8; i++) c.step(calm)
    expect(c.stats().share).toBeCloseTo(0.9)
    c.step(calm)
    expect(admittedOf(c, 100)).toBe(100)
    expect(changes.map(([s]) => s)).toEqual([true, false])
    expect(c.stats()).toMatchObject({ refused: 50 + 75 + 90, pressedSteps: 12 })
  })

  it('takes a live tick longer than maxTickMs as pressure too; a signal at 0 is off', () => {
    const ticks = createAdmissionControl({ maxLoopDelayMs: 0, maxTickMs: 1000 })
    expect(ticks.step({ loopDelayMs: 10_000, tickMs: 900 })).toBe(false)
    expect(ticks.step({ loopDelayMs: 0, tickMs: 1500 })).toBe(true)
    expect(admittedOf(ticks, 10)).toBe(5)
  })
})

describe('createPressureGauge', () => {
  it('reports the longest tick of the window and starts the next window empty', () => {
    const g = createPressureGauge()
    try {
      g.observeTick(120)
      g.observeTick(480)
      g.observeTick(300)
      expect(g.read().tickMs).toBe(480)
      expect(g.read().tickMs).toBe(0)
    } finally {
      g.stop()
    }
  })
})
