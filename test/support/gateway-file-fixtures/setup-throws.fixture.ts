// A set-up that throws once the gateway is up: the beforeAll must fail the file, and the
// gateway must still be stopped and its data directory removed (reported to the file
// GATEWAY_FILE_PROBE names).
import { existsSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { afterAll, expect, it } from 'vitest'
import { gatewayForFile } from '../gateway-file.ts'

/** Whether the gateway's port still takes connections (a new one: a kept-alive one says nothing). */
const listening = (url: string) => new Promise<string>((resolve) => {
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  socket.once('connect', () => (socket.destroy(), resolve('open')))
  socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)))
})

let url: string | undefined
let dataDir: string | undefined
// Registered before the gateway's hooks: runs after its afterAll stopped it.
afterAll(async () => {
  writeFileSync(process.env.GATEWAY_FILE_PROBE!, JSON.stringify({ port: url ? await listening(url) : 'never started', dataDirLeft: dataDir === undefined || existsSync(dataDir) }))
})
const file = gatewayForFile({}, async (gw) => {
  url = gw.url
  dataDir = gw.dataDir
  expect((await fetch(`${gw.url}/health`)).status).toBe(200)
  throw new Error('set-up failed on purpose')
})

it('runs against the gateway', () => {
  expect(file.gw.url).toMatch(/^http/)
})
