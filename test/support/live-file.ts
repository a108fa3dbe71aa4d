// Per-test-file set-up of the live tests: a gateway in this process, the file's clients closed
// after it, and every frame those clients received checked against the protocol's invariants.
import { afterAll, beforeAll, expect } from 'vitest'
import { startInProcess } from './gateway.ts'
import { LiveClient } from './live-client.ts'

export type InProcessGateway = Awaited<ReturnType<typeof startInProcess>>

/** After this file: every frame every live client of it received kept the protocol's invariants. */
export function checkInvariantsAfterFile() {
  afterAll(() => expect(LiveClient.violations).toEqual([]))
}

/** A gateway (`env`) for this file, ready after `setUp`; `connect` clients are closed when the file ends. */
export function liveGatewayForFile(env: Record<string, string>, setUp?: (gw: InProcessGateway) => Promise<void>) {
  const file = {
    gw: undefined as unknown as InProcessGateway,
    clients: [] as LiveClient[],
    async connect(opts: Parameters<typeof LiveClient.connect>[1] = {}) {
      const c = await LiveClient.connect(file.gw.url, opts)
      file.clients.push(c)
      return c
    },
  }
  beforeAll(async () => {
    file.gw = await startInProcess(env)
    await setUp?.(file.gw)
  }, 60_000)
  checkInvariantsAfterFile()
  afterAll(async () => {
    for (const c of file.clients) c.close()
    await file.gw?.stop()
  })
  return file
}
