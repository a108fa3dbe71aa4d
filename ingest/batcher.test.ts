import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBatcher, createLanePool, msToSlot, type Part, type Refusal } from './batcher.ts'

/** A write that records its lane and rows and finishes when `release` is called. */
function gatedWrites() {
  const calls: { lane: number; rows: object[]; release: () => void; fail: (e: Error) => void }[] = []
  const write = (parts: Part[], lane: number) =>
    new Promise<Refusal[][]>((release, fail) => calls.push({ lane, rows: parts.flatMap((p) => p.rows), release: () => release(parts.map(() => [])), fail }))
  return { calls, write }
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms))

/** A two-lane batcher with one batch writing on each lane: `a` first, then `c`. */
async function twoLanesBusy() {
  const { calls, write } = gatedWrites()
  const b = createBatcher(write, { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000, lanes: createLanePool(2) })
  const a = b.add([{ n: 1 }])
  await tick()
  const c = b.add([{ n: 2 }])
  await tick()
  return { b, calls, a, c }
}

describe('batcher lanes', () => {
  it('writes one batch at a time on one lane and gathers what arrives meanwhile', async () => {
    const { calls, write } = gatedWrites()
    const b = createBatcher(write, { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000 })
    const first = b.add([{ n: 1 }])
    await tick()
    const later = [b.add([{ n: 2 }]), b.add([{ n: 3 }])]
    await tick()
    expect(calls.map((c) => c.lane)).toEqual([0])
    calls[0].release()
    await first
    await tick()
    expect(calls.map((c) => c.rows.length)).toEqual([1, 2])
    calls[1].release()
    await Promise.all(later)
    await b.drain()
    expect(b.pendingRows).toBe(0)
  })

  it('starts the next batch on a free lane while another is still writing, and never uses a busy lane', async () => {
    const { b, calls, a, c } = await twoLanesBusy()
    expect(calls.map((x) => x.lane).sort()).toEqual([0, 1])
    const d = b.add([{ n: 3 }])
    await tick()
    expect(calls).toHaveLength(2) // both lanes busy: the third waits
    calls[1].release()
    await c
    await tick()
    expect(calls).toHaveLength(3)
    expect(calls[2].lane).toBe(calls[1].lane)
    calls[0].release()
    calls[2].release()
    await Promise.all([a, d])
    await b.drain()
    expect(b.pendingRows).toBe(0)
  })

  it('hands the sink one part per add() call, with its key, and flushes at batchRows', async () => {
    const writes: Part[][] = []
    const b = createBatcher(async (parts) => (writes.push(parts), parts.map(() => [])), { flushMs: 60_000, batchRows: 3, maxPendingRows: 10_000 })
    const added = [b.add([{ n: 1 }, { n: 2 }], 'k1'), b.add([{ n: 3 }]), b.add([{ n: 4 }])]
    await b.drain()
    await Promise.all(added)
    expect(writes).toEqual([[{ rows: [{ n: 1 }, { n: 2 }], key: 'k1' }, { rows: [{ n: 3 }] }], [{ rows: [{ n: 4 }] }]])
  })

  it('answers each add() with the refusals of its own part', async () => {
    const b = createBatcher(async (parts) => parts.map((p, i) => (i === 1 ? [{ index: 0, code: 'ENGINE_REFUSED', message: 'no' }] : [])), { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000 })
    const [a, c] = await Promise.all([b.add([{ n: 1 }]), b.add([{ n: 2 }])])
    expect([a, c]).toEqual([[], [{ index: 0, code: 'ENGINE_REFUSED', message: 'no' }]])
  })

  it('fails only the waiters of the batch whose write failed', async () => {
    const { b, calls, a, c } = await twoLanesBusy()
    calls[0].fail(new Error('disk full'))
    calls[1].release()
    await expect(a).rejects.toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE' })
    await expect(c).resolves.toEqual([])
    await b.drain()
    expect(b.pendingRows).toBe(0)
  })
})

describe('batchers sharing one lane pool (the ingest connections)', () => {
  it('never writes on a lane another batcher is using; a waiting batch takes the first lane released', async () => {
    const pool = createLanePool(2)
    // `trades` holds both lanes; `letters` must wait for one.
    const shared = gatedWrites()
    const tradesShared = createBatcher(shared.write, { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000, lanes: pool })
    const letters = createBatcher(shared.write, { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000, lanes: pool })
    const t1 = tradesShared.add([{ n: 1 }])
    await tick()
    const t2 = tradesShared.add([{ n: 2 }])
    await tick()
    const l1 = letters.add([{ dead: 1 }])
    await tick()
    expect(shared.calls.map((x) => x.lane).sort()).toEqual([0, 1])
    shared.calls[1].release()
    await t2
    await tick()
    expect(shared.calls).toHaveLength(3)
    expect(shared.calls[2]).toMatchObject({ lane: shared.calls[1].lane, rows: [{ dead: 1 }] })
    shared.calls[0].release()
    shared.calls[2].release()
    await Promise.all([t1, l1, tradesShared.drain(), letters.drain()])
  })

  it('drain() flushes at once and waits for a batch that first has to wait for another batcher\'s lane', async () => {
    const { calls, write } = gatedWrites()
    const pool = createLanePool(1)
    const rows = createBatcher(write, { flushMs: 1, batchRows: 1000, maxPendingRows: 10_000, lanes: pool })
    const letters = createBatcher(write, { flushMs: 60_000, batchRows: 1000, maxPendingRows: 10_000, lanes: pool })
    const r = rows.add([{ n: 1 }])
    await tick()
    const l = letters.add([{ dead: 1 }])
    let drained = false
    const draining = letters.drain().then(() => (drained = true))
    await tick()
    expect([calls.length, drained]).toEqual([1, false])
    calls[0].release()
    await r
    await tick()
    expect(calls[1]).toMatchObject({ lane: 0, rows: [{ dead: 1 }] })
    expect(drained).toBe(false)
    calls[1].release()
    await Promise.all([l, draining])
    expect(letters.pendingRows).toBe(0)
  })
})

describe('flushing follows the load', () => {
  // The slot is timed on the wall clock (Date.now()): at a real minute's last milliseconds its
  // boundary would fall inside the waits below and write early. The clock stands still here, half
  // a minute before a boundary; timers stay real.
  const midMinute = () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.UTC(2026, 0, 1, 12, 0, 30))
  }
  afterEach(() => vi.useRealTimers())

  it('times a write to be stored by the next slot boundary, starting as early as writes recently took', () => {
    expect(msToSlot(1010, 250, 0)).toBe(240)
    expect(msToSlot(1010, 250, 20)).toBe(220)
    // Too late for the boundary at 1250 with a 20 ms write: the one after.
    expect(msToSlot(1240, 250, 20)).toBe(240)
    // A lead is never more than half a slot.
    expect(msToSlot(1000, 250, 400)).toBe(125)
    expect(msToSlot(1000, 500, 0)).toBe(0)
  })

  it('gathers everything added within one slot into one write', async () => {
    midMinute()
    const writes: Part[][] = []
    const b = createBatcher(async (parts) => (writes.push(parts), parts.map(() => [])), { flushMs: 0, slotMs: () => 60_000, batchRows: 1000, maxPendingRows: 10_000 })
    const added = [b.add([{ n: 1 }]), b.add([{ n: 2 }]), b.add([{ n: 3 }])]
    await tick(20)
    expect(writes).toHaveLength(0) // the slot is a minute away: nothing written yet
    await b.drain()
    await Promise.all(added)
    expect(writes.map((w) => w.length)).toEqual([3])
  })

  it('writes at once, without waiting for the slot, when fillRows are pending (high rates fill by size)', async () => {
    midMinute()
    const writes: Part[][] = []
    const b = createBatcher(async (parts) => (writes.push(parts), parts.map(() => [])), { flushMs: 0, slotMs: () => 60_000, fillRows: 3, batchRows: 1000, maxPendingRows: 10_000 })
    const full = [b.add([{ n: 1 }, { n: 2 }]), b.add([{ n: 3 }])]
    await Promise.all(full) // resolves long before the minute's slot
    const later = b.add([{ n: 4 }])
    await tick(20)
    expect(writes.map((w) => w.flatMap((p) => p.rows).length)).toEqual([3])
    await b.drain()
    await later
  })
})
