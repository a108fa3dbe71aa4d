// A set-up that throws once the gateway is up: the beforeAll must fail the file, and the
// gateway must still be stopped. GATEWAY_FILE_PROBE names the file this reports to.
import { writeFileSync } from 'node:fs'
import { afterAll, expect, it } from 'vitest'
import { gatewayForFile } from '../gateway-file.ts'

let url: string | undefined
// Registered before the gateway's hooks: runs after its afterAll stopped it.
afterAll(async () => {
  const health = url ? await fetch(`${url}/health`).then((r) => r.status, () => 'refused') : 'never started'
  writeFileSync(process.env.GATEWAY_FILE_PROBE!, JSON.stringify({ health }))
})
const file = gatewayForFile({}, async (gw) => {
  url = gw.url
  expect((await fetch(`${gw.url}/health`)).status).toBe(200)
  throw new Error('set-up failed on purpose')
})

it('runs against the gateway', () => {
  expect(file.gw.url).toMatch(/^http/)
})
