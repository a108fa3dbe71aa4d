import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClickHouse } from './client.ts'

let dir: string
let ch: ClickHouseClient
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'livehouse-client-'))
  ch = createClickHouse({ dataDir: dir }, 'queries')
})
afterAll(async () => {
  await ch?.close()
  rmSync(dir, { recursive: true, force: true })
})

// Fails after about 130k rows of output: chDB has produced part of the result.
const overflow = () =>
  ch.query({
    query: 'SELECT number FROM system.numbers LIMIT 200000',
    format: 'TabSeparated',
    clickhouse_settings: { max_result_rows: '100000', result_overflow_mode: 'throw' },
  })
const text = async (query: string) => (await ch.query({ query, format: 'TabSeparated' })).text()

describe('an embedded chDB connection after a statement fails mid-result', () => {
  it('answers the next statement with its own rows only', async () => {
    await expect(overflow()).rejects.toThrow(/Limit for result exceeded/)
    expect(await text("SELECT 'next'")).toBe('next\n')
  })

  it('also when the next statement was already waiting behind the failing one', async () => {
    const failing = overflow()
    const waiting = [text("SELECT 'a'"), text("SELECT 'b'")]
    await expect(failing).rejects.toThrow(/Limit for result exceeded/)
    expect(await Promise.all(waiting)).toEqual(['a\n', 'b\n'])
  })
})
