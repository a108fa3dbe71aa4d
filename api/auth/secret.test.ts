import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadOrCreateSecret, secretFile } from './secret.ts'

const dirs: string[] = []
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'livehouse-secret-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('the embedded secret kept in DATA_DIR', () => {
  it('is generated once and read back on the next start', () => {
    const dir = join(fresh(), 'not-yet-created')
    const first = loadOrCreateSecret(dir)
    expect(first.created).toBe(true)
    expect(first.secret.length).toBeGreaterThanOrEqual(43)
    expect(statSync(secretFile(dir)).mode & 0o777).toBe(0o600)
    expect(loadOrCreateSecret(dir)).toEqual({ secret: first.secret, created: false })
    expect(readFileSync(secretFile(dir), 'utf8').trim()).toBe(first.secret)
  })

  it('refuses a damaged file instead of replacing it (that would void every token)', () => {
    const dir = fresh()
    writeFileSync(secretFile(dir), 'short\n')
    expect(() => loadOrCreateSecret(dir)).toThrow(/auth-secret: holds no usable secret/)
    expect(readFileSync(secretFile(dir), 'utf8')).toBe('short\n')
  })
})
