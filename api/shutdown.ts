import type { Logger } from './log.ts'

export interface ShutdownOptions {
  stop: () => Promise<void>
  log: Pick<Logger, 'info' | 'error'>
  timeoutMs: number
  exit: (code: number) => void
  /** Where the signals come from (the process; an EventEmitter in tests). */
  signals: Pick<NodeJS.Process, 'on'>
}

/**
 * On SIGINT/SIGTERM: one graceful stop (batches flushed, connections closed), then exit 0; a
 * stop that fails or outlasts `timeoutMs` (an engine call that never returns) exits 1, so a
 * hung process never keeps the port and the data directory's lock.
 */
export function exitOnSignals(o: ShutdownOptions) {
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    o.signals.on(signal, () => {
      if (stopping) return
      stopping = true
      o.log.info('stopping', { signal })
      setTimeout(() => (o.log.error('stop did not finish in time: exiting', { timeoutMs: o.timeoutMs }), o.exit(1)), o.timeoutMs).unref()
      o.stop().then(
        () => o.exit(0),
        (e: Error) => (o.log.error('stop failed', { error: e }), o.exit(1)),
      )
    })
  }
}
