// What every browser test file closes after its tests: the pages it opened, the browser, and
// its gateways (stopped, their data directories removed).
import type { Browser } from 'playwright-core'
import { afterAll } from 'vitest'
import { removeDir, type TestGateway } from '../../test/support/gateway.ts'
import type { OpenPage } from './browser.ts'

/** `get` is read after the tests, so a gateway restarted during them is the one stopped. */
export function closeAfterFile(get: () => { opened: OpenPage[]; browser?: Browser; gateways: (TestGateway | undefined)[] }) {
  afterAll(async () => {
    const { opened, browser, gateways } = get()
    try {
      for (const o of opened) await o.context.close().catch(() => {})
      await browser?.close()
    } finally {
      // Even when the browser would not close: a gateway left running outlives the file.
      for (const gw of gateways) {
        if (!gw) continue
        try {
          await gw.stop()
        } finally {
          removeDir(gw.dataDir)
        }
      }
    }
  })
}
