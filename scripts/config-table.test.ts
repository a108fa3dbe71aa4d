import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../api/config.ts'
import { readmePath, readmeWithTable } from './config-table.ts'

describe('configuration', () => {
  it('the README documents exactly the keys the schema checks (npm run docs:config)', () => {
    const readme = readFileSync(readmePath, 'utf8')
    expect(readme).toBe(readmeWithTable(readme))
  })

  it('a bad value stops start-up naming the key', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/)
    expect(() => loadConfig({ KAFKA_BROKERS: 'not a broker' })).toThrow(/KAFKA_BROKERS/)
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://ch:8123' })).toThrow(/AUTH_SECRET/)
  })

  it('defaults give the embedded engine on :8080 with the demo generator', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ PORT: 8080, SQL_PORT: 8123, DEMO_RATE: 2000, embedded: true, KAFKA_BROKERS: [] })
  })
})
