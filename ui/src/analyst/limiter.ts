// At most `max` tasks at once; the others wait in arrival order. The analyst port refuses a
// user's queries beyond SQL_MAX_QUERIES_PER_USER with 202 (as ClickHouse's
// max_concurrent_queries_for_user does): the page waits for a slot instead of being refused.

export interface Limiter {
  /** Runs `task` once a slot is free; a task still waiting when `signal` aborts never starts. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>
  active(): number
  waiting(): number
}

export function createLimiter(max: number): Limiter {
  let active = 0
  const queue: { start(): void }[] = []
  const next = () => {
    while (active < max && queue.length) {
      const entry = queue.shift()!
      active++
      entry.start()
    }
  }
  const slot = (signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      const i = queue.indexOf(entry)
      if (i >= 0) queue.splice(i, 1)
      reject(signal!.reason)
    }
    const entry = { start: () => (signal?.removeEventListener('abort', onAbort), resolve()) }
    queue.push(entry)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  return {
    async run(task, signal) {
      signal?.throwIfAborted()
      if (active < max && !queue.length) active++
      else await slot(signal)
      try {
        return await task()
      } finally {
        active--
        next()
      }
    },
    active: () => active,
    waiting: () => queue.length,
  }
}
