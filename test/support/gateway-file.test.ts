// gatewayForFile must not hide a failed set-up: a gateway that does not start, or a set-up
// that throws, fails every test of its file (run here as a separate vitest over fixtures), and
// a gateway that did start is stopped all the same.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

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
    env: { ...process.env, GATEWAY_FILE_PROBE: join(scratch, 'probe.json'), TMPDIR: fixtureTmp },
    maxBuffer: 16 * 1024 * 1024,
  })
  exitCode = await run.then(() => 0, (e: { code?: number }) => e.code ?? -1)
  report = JSON.parse(readFileSync(outputFile, 'utf8'))
}, 240_000)

const fileResult = (name: string) => {
  const found = report.testResults.find((r) => r.name.endsWith(name))
  expect(found, name).toBeDefined()
  return found!
}

describe('gatewayForFile', () => {
  it('fails the run when a file\'s set-up fails', () => {
    expect(exitCode).toBe(1)
    expect(report.testResults.map((r) => r.name.split('/').at(-1)).sort()).toEqual(['no-start.fixture.ts', 'setup-throws.fixture.ts'])
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

  it('leaves no data directory behind, whether its gateway started or not', () => {
    expect(readdirSync(fixtureTmp).filter((name) => name.startsWith('livehouse-test-'))).toEqual([])
  })
})
