// The thread side of parse-pool.ts: validates one NDJSON body at a time and posts the batch back.
import { parentPort } from 'node:worker_threads'
import type { Stream } from '../core/events.ts'
import { parseNdjson } from './ndjson.ts'

export interface ParseTask {
  id: number
  stream: Stream
  text: string
  maxLineBytes: number
  nowMs: number
}

parentPort?.on('message', (task: ParseTask) => {
  // Nothing else runs on this thread: no need to yield to its event loop mid-body.
  void parseNdjson(task.stream, task.text, { maxLineBytes: task.maxLineBytes, nowMs: task.nowMs, sliceMs: Infinity }).then(
    (batch) => parentPort!.postMessage({ id: task.id, batch }),
    (e: unknown) => parentPort!.postMessage({ id: task.id, error: e instanceof Error ? e.message : String(e) }),
  )
})

// Loaded and listening: a thread lost after this failed on a body; before it, it could not start.
parentPort?.postMessage({ ready: true })
