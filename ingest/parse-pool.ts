import { Worker, type ResourceLimits } from 'node:worker_threads'
import { AppError } from '../core/errors.ts'
import type { Stream } from '../core/events.ts'
import { parseNdjson, type ParsedBatch, type ParseOptions } from './ndjson.ts'
import type { ParseTask } from './parse-worker.ts'

export interface ParsePoolOptions {
  /** Threads validating bodies; 0 = every body on the calling thread. */
  workers: number
  /**
   * Bodies shorter than this (characters) are validated on the calling thread: handing a body to a
   * thread and its rows back costs the main thread ~10 µs plus ~0.6 µs per row (structured clone),
   * against ~2.7 µs per line to validate it; they cross at about 5 trade lines, 600 characters
   * (bench/results/2026-12-05-parse-handoff.md).
   */
  inlineBelowChars: number
  /**
   * Whether to hand large bodies to a thread now (default: always). The hand-off costs CPU (the rows
   * are copied back), which a saturated machine pays in throughput; it pays off while the main
   * thread's latency matters, e.g. only while live clients watch (api/livehouse.ts).
   */
  offload?: () => boolean
  /** Heap caps of each thread: a body that passes them fails alone (500), its thread is replaced. */
  resourceLimits?: ResourceLimits
  /** The thread's entry (default parse-worker.mjs); a test points it at one that cannot start. */
  script?: URL
  /** Told once when threads cannot start and every body is validated on the calling thread from then on. */
  onBroken?: (cause: unknown) => void
}

/** Validates one NDJSON body: ndjson.ts's parseNdjson, or the pool's (on a thread when the body is large). */
export type ParseBody = (stream: Stream, text: string, options: ParseOptions) => Promise<ParsedBatch>

interface Job {
  task: ParseTask
  resolve: (batch: ParsedBatch) => void
  reject: (e: unknown) => void
  /** Settles once the body is answered either way (what close() waits for). */
  settled: Promise<void>
}

interface Slot {
  worker: Worker
  job?: Job
  /** The thread has loaded its code (parse-worker.ts says so once). */
  ready: boolean
}

type Reply = { id: number; batch: ParsedBatch } | { id: number; error: string } | { ready: true }

/**
 * Moves NDJSON validation (~3 µs a line) off the gateway's main thread, which also serves the live
 * fan-out: at 100k events/s validation alone held a third of it. Each thread takes one body at a
 * time, so a body that kills its thread fails only its own request; the thread is replaced.
 * Threads start on first use and stop with `close()`.
 */
export function createParsePool(options: ParsePoolOptions) {
  const slots: Slot[] = []
  const queue: Job[] = []
  let nextId = 0
  const parsed = { onThread: 0, onMain: 0 }
  let closed = false
  /** Threads cannot start here (their code does not load): everything runs on the calling thread. */
  let broken = false

  function spawn(): Slot {
    const worker = new Worker(options.script ?? new URL('./parse-worker.mjs', import.meta.url), { resourceLimits: options.resourceLimits })
    const slot: Slot = { worker, ready: false }
    worker.unref()
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return void (slot.ready = true)
      const job = slot.job
      if (!job || job.task.id !== reply.id) return
      slot.job = undefined
      if ('batch' in reply) job.resolve(reply.batch)
      else job.reject(new Error(reply.error))
      next()
    })
    worker.on('error', (e) => lost(slot, e))
    worker.on('exit', (code) => lost(slot, new Error(`parse thread exited with code ${code}`)))
    slots.push(slot)
    return slot
  }

  /**
   * A thread that failed or exited: its one body fails (500), the others go on. One that never
   * loaded its code is not the body's fault: threads are given up and that body, like every later
   * one, is validated on the calling thread.
   */
  function lost(slot: Slot, cause: unknown) {
    const at = slots.indexOf(slot)
    if (at === -1) return
    slots.splice(at, 1)
    const job = slot.job
    slot.job = undefined
    void slot.worker.terminate()
    if (!slot.ready) {
      if (!broken) options.onBroken?.(cause)
      broken = true
      for (const j of [...(job ? [job] : []), ...queue.splice(0)]) inline(j)
      return
    }
    job?.reject(new AppError(500, 'INGEST_PARSE_FAILED', 'validating this body stopped its thread; nothing of it was stored', { cause }))
    next()
  }

  const inline = ({ task, resolve, reject }: Job) => parseNdjson(task.stream, task.text, task).then(resolve, reject)

  function next() {
    while (queue.length > 0 && !closed) {
      const slot = slots.find((s) => !s.job) ?? (slots.length < options.workers ? spawn() : undefined)
      if (!slot) return
      const job = queue.shift()!
      slot.job = job
      slot.worker.postMessage(job.task)
    }
  }

  const parse: ParseBody = (stream, text, parseOptions) => {
    if (options.workers === 0 || text.length < options.inlineBelowChars || closed || broken || options.offload?.() === false) {
      parsed.onMain++
      return parseNdjson(stream, text, parseOptions)
    }
    parsed.onThread++
    const task = { id: nextId++, stream, text, maxLineBytes: parseOptions.maxLineBytes, nowMs: parseOptions.nowMs ?? Date.now() }
    let job!: Job
    const answer = new Promise<ParsedBatch>((resolve, reject) => (job = { task, resolve, reject, settled: Promise.resolve() }))
    job.settled = answer.then(() => undefined, () => undefined)
    queue.push(job)
    next()
    return answer
  }

  return {
    parse,
    /** Threads running, bodies waiting for one, and bodies validated so far on a thread and on the calling thread. */
    stats: () => ({ threads: slots.length, busy: slots.filter((s) => s.job).length, queued: queue.length, ...parsed }),
    /** Finishes the bodies handed out, validates the queued ones here, and stops the threads. */
    async close() {
      closed = true
      for (const job of queue.splice(0)) inline(job)
      await Promise.all(slots.map((s) => s.job?.settled))
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()))
    },
  }
}

export type ParsePool = ReturnType<typeof createParsePool>
