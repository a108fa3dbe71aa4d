/**
 * Retries `check` until it stops throwing or `timeoutMs` passes; then rethrows its last error.
 * The default deadline is for a loaded machine (a busy CI host): what takes a second on a quiet
 * one can take many; a check that passes returns at once, so a long deadline costs nothing.
 */
export async function eventually<T>(check: () => T | Promise<T>, { timeoutMs = 30_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, intervalMs))
    }
  }
}
