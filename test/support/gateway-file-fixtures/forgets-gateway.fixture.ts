// A file that starts a gateway process and never stops it (as a test that crashes or times out
// would): when vitest ends the file's process, the gateway and its data directory must go too
// (its address and directory are reported to the file GATEWAY_FILE_FORGOTTEN names).
import { writeFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { startGateway } from '../gateway.ts'

it('starts a gateway and leaves it running', async () => {
  const gw = await startGateway()
  writeFileSync(process.env.GATEWAY_FILE_FORGOTTEN!, JSON.stringify({ url: gw.url, dataDir: gw.dataDir }))
  expect((await fetch(`${gw.url}/health`)).status).toBe(200)
}, 240_000)
