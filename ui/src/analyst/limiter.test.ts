import { describe, expect, it } from 'vitest'
import { createLimiter } from './limiter.ts'

/** A task that runs until its `finish` is called. */
function gate() {
  let finish!: () => void
  const done = new Promise<void>((r) => (finish = r))
  return { finish, task: () => done }
}

describe('analyst request limiter', () => {
  it('runs at most max tasks at once, the others in arrival order as slots free', async () => {
    const limiter = createLimiter(2)
    const started: number[] = []
    const gates = [gate(), gate(), gate(), gate()]
    const runs = gates.map((g, i) => limiter.run(() => (started.push(i), g.task())))
    await Promise.resolve()
    expect([started, limiter.active(), limiter.waiting()]).toEqual([[0, 1], 2, 2])
    gates[1].finish()
    await runs[1]
    await Promise.resolve()
    expect(started).toEqual([0, 1, 2])
    gates[0].finish(), gates[2].finish(), gates[3].finish()
    await Promise.all(runs)
    expect([started, limiter.active(), limiter.waiting()]).toEqual([[0, 1, 2, 3], 0, 0])
  })

  it('a waiting task whose signal aborts never starts and frees its place; a failing task frees its slot', async () => {
    const limiter = createLimiter(1)
    const first = gate()
    const running = limiter.run(first.task)
    const abort = new AbortController()
    let ran = false
    const waiting = limiter.run(async () => void (ran = true), abort.signal)
    expect(limiter.waiting()).toBe(1)
    abort.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    expect(limiter.waiting()).toBe(0)
    first.finish()
    await running
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await limiter.run(async () => 'next')).toBe('next')
    expect(ran).toBe(false)
    await expect(limiter.run(async () => 1, abort.signal)).rejects.toMatchObject({ name: 'AbortError' })
  })
})
