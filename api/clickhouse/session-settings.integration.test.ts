// withSessionSettings (pool.ts) sends a catalog session's settings once: it relies on chDB
// keeping them on the session. Shown on a real embedded session: the calls after the first
// carry no settings, yet run with its max_threads and stay read-only.
import type { ClickHouseClient } from '@clickhouse/client'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClickHouse } from './client.ts'
import { withSessionSettings } from './pool.ts'

let dir: string
let client: ClickHouseClient

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lh-session-settings-'))
  client = createClickHouse({ dataDir: dir }, 'queries')
})

afterAll(async () => {
  await client?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('catalog settings sent once per embedded session', () => {
  it('later calls run with the first call\'s settings and stay read-only', async () => {
    const session = withSessionSettings(client)
    const settings = { max_threads: 1, max_result_rows: '5', result_overflow_mode: 'throw', readonly: '1' } as const
    const probe = async () => (await (await session.query({
      query: "SELECT toString(getSetting('max_threads')) AS t, toString(getSetting('readonly')) AS r", format: 'JSONEachRow', clickhouse_settings: settings,
    })).json<{ t: string; r: string }>())[0]
    expect(await probe()).toEqual({ t: '1', r: '1' })
    expect(await probe()).toEqual({ t: '1', r: '1' })
    // A cap of the first call still holds on a call that carried no settings.
    await expect(session.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow', clickhouse_settings: settings })).rejects.toMatchObject({ code: '396' })
    await expect(session.query({ query: 'CREATE TABLE nope (x UInt8) ENGINE = Memory', clickhouse_settings: settings })).rejects.toMatchObject({ code: '164' })
  }, 60_000)
})
