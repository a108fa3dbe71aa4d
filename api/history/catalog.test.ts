import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { formatInterval, loadCatalog } from './catalog.ts'

let dir: string | undefined
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }))

const catalogOf = (param: string) => {
  dir = mkdtempSync(join(tmpdir(), 'livehouse-catalog-'))
  writeFileSync(join(dir, 'q.sql'), `-- @description d\n-- @roles trader\n-- @param ${param} : doc\nSELECT {interval:UInt32}\n`)
  return loadCatalog(dir)
}

describe('catalog @param step', () => {
  it('parses step in the parameter type\'s unit', () => {
    expect(catalogOf('interval Interval default=2h min=1h step=1h').get('q')!.params[0].step).toBe(3600)
    expect(catalogOf('interval UInt32 default=10 step=5').get('q')!.params[0].step).toBe(5)
  })

  it('refuses a step its default or min break, a bad step, and a step on other types', () => {
    expect(() => catalogOf('interval Interval default=90m min=1h step=1h')).toThrow(/multiples of step/)
    expect(() => catalogOf('interval Interval default=2h min=90s step=1m')).toThrow(/multiples of step/)
    expect(() => catalogOf('interval Interval default=2h step=0')).toThrow(/bad step/)
    expect(() => catalogOf('interval String default=x step=1')).toThrow(/step needs/)
  })

  it('names a step in its largest whole unit', () => {
    expect([60, 3600, 5400, 90, 86400].map(formatInterval)).toEqual(['1m', '1h', '90m', '90s', '1d'])
  })
})
