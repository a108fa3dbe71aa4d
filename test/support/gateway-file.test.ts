// gatewayForFile must not hide a failed set-up: a gateway that does not start, or a set-up
// that throws, fails every test of its file (run here as a separate vitest over fixtures), and
// a gateway that did start is stopped all the same. Nothing outlives a fixture's process: a
// gateway process it forgot to stop, or any gateway's data directory.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './eventually.ts'

const root = resolve(import.meta.dirname, '../..')
const fixtures = join(import.meta.dirname, 'gateway-file-fixtures')
const scratch = mkdtempSync(join(tmpdir(), 'livehouse-gateway-file-'))
// The fixtures' temporary directory (TMPDIR): what their gateways leave behind shows there.
const fixtureTmp = join(scratch, 'tmp')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface Report { testResults: { name: string; status: string; message: string; assertionResults: { status: string }[] }[] }
let exitCode: number
let report: Report

beforeAll(async () => {
  const outputFile = join(scratch, 'report.json')
  mkdirSync(fixtureTmp)
  const run = promisify(execFile)(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(fixtures, 'vitest.config.ts'), '--reporter=json', `--outputFile=${outputFile}`], {
    cwd: root,
    env: { ...process.env, GATEWAY_FILE_PROBE: join(scratch, 'probe.json'), GATEWAY_FILE_FORGOTTEN: join(scratch, 'forgotten.json'), TMPDIR: fixtureTmp },
    maxBuffer: 16 * 1024 * 1024,
  })
  exitCode = await run.then(() => 0, (e: { code?: number }) => e.code ?? -1)
  report = JSON.parse(readFileSync(outputFile, 'utf8'))
}, 420_000) // two gateways start in the fixtures, one a child process: minutes on a loaded machine

/** Whether a port still takes connections: 'open', or the error code. */
const listening = (url: string) => new Promise<string>((resolve) => {
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  socket.once('connect', () => (socket.destroy(), resolve('open')))
  socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)))
})

const fileResult = (name: string) => {
  const found = report.testResults.find((r) => r.name.endsWith(name))
  expect(found, name).toBeDefined()
  return found!
}

describe('gatewayForFile', () => {
  it('fails the run when a file\'s set-up fails', () => {
    expect(exitCode).toBe(1)
    expect(report.testResults.map((r) => [r.name.split('/').at(-1), r.status]).sort()).toEqual([
      ['forgets-gateway.fixture.ts', 'passed'], ['no-start.fixture.ts', 'failed'], ['setup-throws.fixture.ts', 'failed'],
    ])
  })

  it('fails every test of a file whose gateway does not start, with the reason', () => {
    const r = fileResult('no-start.fixture.ts')
    expect(r.status).toBe('failed')
    expect(r.message).toMatch(/invalid configuration[\s\S]*PORT/)
    expect(r.assertionResults.map((a) => a.status)).not.toContain('passed')
  })

  it('fails every test of a file whose set-up throws, and stops the gateway it started, its data directory removed', () => {
    const r = fileResult('setup-throws.fixture.ts')
    expect(r.status).toBe('failed')
    expect(r.message).toContain('set-up failed on purpose')
    expect(r.assertionResults.map((a) => a.status)).not.toContain('passed')
    expect(JSON.parse(readFileSync(join(scratch, 'probe.json'), 'utf8'))).toEqual({ port: 'ECONNREFUSED', dataDirLeft: false })
  })

  const forgotten = () => JSON.parse(readFileSync(join(scratch, 'forgotten.json'), 'utf8')) as { url: string; dataDir: string }

  it('leaves no data directory behind, whether its gateway started or not', () => {
    // The forgotten gateway's directory is removed at best within the 500 ms vitest leaves a
    // file's process between SIGTERM and SIGKILL, after its processes are gone: not asserted.
    const left = readdirSync(fixtureTmp).filter((name) => name.startsWith('livehouse-test-') && join(fixtureTmp, name) !== forgotten().dataDir)
    expect(left).toEqual([])
  })

  it('takes a gateway process the file never stopped with it when the file\'s process ends', async () => {
    // SIGKILL sent as the file's process ended: gone within moments.
    await eventually(async () => expect(await listening(forgotten().url)).toBe('ECONNREFUSED'))
  })
})
