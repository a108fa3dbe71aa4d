import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createClickHouse } from './client.ts'
import { applyMigrations } from './migrate.ts'

// Its own chDB data directory: vitest gives every test file a process of its own.
const root = mkdtempSync(join(tmpdir(), 'livehouse-migrate-'))
const dir = join(root, 'schema')
mkdirSync(dir)
const ch = createClickHouse({ dataDir: join(root, 'data') }, 'migrations')
afterAll(async () => {
  await ch.close()
  rmSync(root, { recursive: true, force: true })
})

const file = (name: string, sql: string) => writeFileSync(join(dir, name), sql)
const tables = async () => (await (await ch.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'm_%' ORDER BY name", format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name)

describe('migrations', () => {
  it('applies pending files once, skips `requires: kafka` files without Kafka, and runs them with it', async () => {
    file('001_create_m_plain.sql', 'CREATE TABLE m_plain (x UInt8) ENGINE = MergeTree ORDER BY x;\n')
    file('002_create_m_kafka.sql', "-- requires: kafka\nCREATE TABLE m_kafka (topic String DEFAULT '{{KAFKA_TOPIC_TRADES}}') ENGINE = Memory;\n")
    expect(await applyMigrations(ch, { dirs: [dir] })).toEqual(['schema/001_create_m_plain.sql'])
    expect(await tables()).toEqual(['m_plain'])
    expect(await applyMigrations(ch, { dirs: [dir] })).toEqual([]) // applied files are recorded
    const kafka = { brokers: ['k:9092'], topicPrefix: 'p.' }
    expect(await applyMigrations(ch, { dirs: [dir], kafka })).toEqual(['schema/002_create_m_kafka.sql'])
    const [column] = await (await ch.query({ query: "SELECT default_expression FROM system.columns WHERE database = currentDatabase() AND table = 'm_kafka'", format: 'JSONEachRow' })).json<{ default_expression: string }>()
    expect(column.default_expression).toBe("'p.trades'") // placeholders take the Kafka settings
  })

  it('refuses to start when an applied file was edited, naming it, and applies nothing after it', async () => {
    file('001_create_m_plain.sql', 'CREATE TABLE m_plain (x UInt16) ENGINE = MergeTree ORDER BY x;\n')
    file('003_create_m_later.sql', 'CREATE TABLE m_later (x UInt8) ENGINE = Memory;\n')
    await expect(applyMigrations(ch, { dirs: [dir] })).rejects.toThrow(/schema\/001_create_m_plain\.sql was edited after it was applied/)
    expect(await tables()).not.toContain('m_later')
  })
})
