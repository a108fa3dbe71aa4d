// Per-test-file set-up of the live tests: a gateway in this process, the file's clients closed
// after it, and every frame those clients received checked against the protocol's invariants.
import { afterAll, expect } from 'vitest'
import { gatewayForFile, type InProcessGateway } from './gateway-file.ts'
import { LiveClient } from './live-client.ts'

export type { InProcessGateway }

/** After this file: every frame every live client of it received kept the protocol's invariants. */
export function checkInvariantsAfterFile() {
  afterAll(() => expect(LiveClient.violations).toEqual([]))
}

/** A gateway (`env`) for this file, ready after `setUp`; `connect` clients are closed when the file ends. */
export function liveGatewayForFile(env: Parameters<typeof gatewayForFile>[0], setUp?: (gw: InProcessGateway) => Promise<void>, opts?: Parameters<typeof gatewayForFile>[2]) {
  const base = gatewayForFile(env, setUp, opts)
  const clients: LiveClient[] = []
  checkInvariantsAfterFile()
  // Registered after the gateway's own afterAll, so it runs first: clients close before the gateway stops.
  afterAll(() => clients.forEach((c) => c.close()))
  return {
    get gw() {
      return base.gw
    },
    get sqlUrl() {
      return base.sqlUrl
    },
    clients,
    async connect(opts: Parameters<typeof LiveClient.connect>[1] = {}) {
      const c = await LiveClient.connect(base.gw.url, opts)
      clients.push(c)
      return c
    },
  }
}
