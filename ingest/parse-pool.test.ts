import { afterEach, describe, expect, it } from 'vitest'
import { streams } from '../core/events.ts'
import { hostileCorpus } from '../test/support/hostile-corpus.ts'
import { parseNdjson, type ParsedBatch } from './ndjson.ts'
import { createParsePool, type ParsePool } from './parse-pool.ts'

const nowMs = Date.now()
const options = { maxLineBytes: 4096, nowMs }
const trade = (i: number) => JSON.stringify({ id: `pp-${i}`, ts: nowMs - 1000, symbol: 'PP.OK', price: 1.5, qty: i + 1, side: 'buy' })
const body = (lines: number, from = 0) => Array.from({ length: lines }, (_, i) => trade(from + i)).join('\n')

/** Ids validation makes up for lines without one (time-random-sequence) differ between two runs. */
const withoutGeneratedIds = (batch: ParsedBatch) => ({
  ...batch,
  rows: batch.rows.map((r) => (typeof r.id === 'string' && /^[a-z0-9]+-[a-z0-9]+-\d+$/.test(r.id) && !r.id.startsWith('PP') ? { ...r, id: 'generated' } : r)),
})

const pools: ParsePool[] = []
const pool = (o: Parameters<typeof createParsePool>[0]) => {
  const p = createParsePool(o)
  pools.push(p)
  return p
}
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close()
})

describe('createParsePool (real worker threads)', () => {
  it('answers on a thread exactly what parseNdjson answers on the main thread, for every hostile line of every stream', async () => {
    const p = pool({ workers: 1, inlineBelowChars: 0 })
    const corpus = hostileCorpus(nowMs, 'PP')
    for (const stream of streams) {
      const text = [...corpus[stream].map((c) => c.line), 'x'.repeat(5000), '', '{"a":'].join('\n')
      const onThread = await p.parse(stream, text, options)
      expect(withoutGeneratedIds(onThread)).toEqual(withoutGeneratedIds(await parseNdjson(stream, text, options)))
      expect(onThread.rows.length).toBe(corpus[stream].filter((c) => c.expect === 'OK').length)
    }
    expect(p.stats()).toMatchObject({ threads: 1, onThread: streams.length, onMain: 0 })
  })

  it('validates small bodies on the calling thread and large ones on a thread', async () => {
    const small = body(2)
    const p = pool({ workers: 1, inlineBelowChars: small.length + 1 })
    expect((await p.parse('trades', small, options)).rows).toHaveLength(2)
    expect(p.stats()).toMatchObject({ threads: 0, onMain: 1, onThread: 0 })
    expect((await p.parse('trades', body(50), options)).rows).toHaveLength(50)
    expect(p.stats()).toMatchObject({ threads: 1, onMain: 1, onThread: 1 })
  })

  it('gives each of many bodies in flight its own answer', async () => {
    const p = pool({ workers: 2, inlineBelowChars: 0 })
    const sizes = Array.from({ length: 24 }, (_, i) => 1 + ((i * 37) % 200))
    const answers = await Promise.all(sizes.map((n, i) => p.parse('trades', body(n, i * 1000), options)))
    answers.forEach((a, i) => {
      expect(a.rows).toHaveLength(sizes[i])
      expect(a.rows[0].id).toBe(`pp-${i * 1000}`)
    })
    expect(p.stats().threads).toBeLessThanOrEqual(2)
  })

  it('fails only the body that exhausts its thread; the body queued behind it gets a new thread', async () => {
    const p = pool({ workers: 1, inlineBelowChars: 0, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } })
    const huge = body(300_000)
    const [first, second] = await Promise.allSettled([p.parse('trades', huge, { ...options, maxLineBytes: 1 << 20 }), p.parse('trades', body(10), options)])
    expect(first.status).toBe('rejected')
    expect((first as PromiseRejectedResult).reason).toMatchObject({ status: 500, code: 'INGEST_PARSE_FAILED' })
    expect(second).toMatchObject({ status: 'fulfilled', value: { rows: expect.any(Array) } })
    expect((second as PromiseFulfilledResult<{ rows: unknown[] }>).value.rows).toHaveLength(10)
    expect(p.stats()).toMatchObject({ threads: 1, busy: 0, queued: 0 })
  })

  it('validates on the calling thread, and says so once, when its threads cannot start', async () => {
    const causes: unknown[] = []
    const p = pool({ workers: 1, inlineBelowChars: 0, script: new URL('./no-such-parse-worker.mjs', import.meta.url), onBroken: (e) => causes.push(e) })
    const answers = await Promise.all([p.parse('trades', body(20), options), p.parse('trades', body(30), options)])
    expect(answers.map((a) => a.rows.length)).toEqual([20, 30])
    expect((await p.parse('trades', body(5), options)).rows).toHaveLength(5)
    expect(causes).toHaveLength(1)
    expect(p.stats()).toMatchObject({ threads: 0, queued: 0, onMain: 1 })
  })

  it('closes after the bodies handed out, validating the queued ones itself', async () => {
    const p = createParsePool({ workers: 1, inlineBelowChars: 0 })
    const answers = Promise.all([p.parse('trades', body(2000), options), p.parse('trades', body(3), options)])
    await p.close()
    expect((await answers).map((a) => a.rows.length)).toEqual([2000, 3])
    expect(p.stats()).toMatchObject({ threads: 0, queued: 0 })
  })
})
