// Ctrl-C (or SIGTERM/SIGHUP) must not leave benchmark processes behind: Kafka and Redis
// run detached in their own process groups, and a signal sent to the bench process alone
// reaches none of its children. Whatever starts something registers how to stop it; the
// signal handler runs every registered stop, then exits (a second signal kills at once).
const stops = new Set<() => unknown>()

/** Registers `stop` to run on an interrupting signal; returns the function that unregisters it. */
export function onInterrupt(stop: () => unknown): () => void {
  stops.add(stop)
  return () => void stops.delete(stop)
}

/** Registers `handle.stop` until the handle is stopped (replaces `stop` with a wrapper that unregisters first). */
export function stopOnInterrupt<T extends { stop: (...args: any[]) => Promise<unknown> }>(handle: T): T {
  const stop = handle.stop
  const unregister = onInterrupt(() => stop())
  handle.stop = ((...args: unknown[]) => (unregister(), stop(...args))) as T['stop']
  return handle
}

let installed = false
/** Installs the signal handlers of a benchmark entry point (idempotent). */
export function exitCleanlyOnSignals(label: string) {
  if (installed) return
  installed = true
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      console.error(`${label}: ${signal}, stopping what it started…`)
      void Promise.allSettled([...stops].map(async (stop) => stop())).finally(() => process.exit(code))
    })
  }
}
