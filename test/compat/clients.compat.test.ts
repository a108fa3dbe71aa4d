// The analyst SQL port against the real ClickHouse clients analysts use (issue 15 item 5):
// Python clickhouse-connect, Go clickhouse-go/v2 over HTTP, Java JDBC v2, @clickhouse/client
// and the curl recipes of docs/sql.md. scripts/compat/setup.mjs installs the clients from
// their registries into .cache/compat (cached); each runs as its own process against a
// gateway in this test process, and prints what it saw.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { createClient } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { rows, tokenFor } from '../support/gateway.ts'
import { gatewayForFile, ingestStored } from '../support/gateway-file.ts'
import { getFreePort } from '../support/ports.ts'

const root = resolve(import.meta.dirname, '../..')
const exec = promisify(execFile)
let port: number
let token: string
let clients: { python: { python: string; script: string }; go: { binary: string }; java: { classpath: string } }

/** Installs the clients, then opens the SQL port on a free port. */
async function setUpClients() {
  // First run on a fresh machine downloads the clients (minutes); later runs find them cached.
  // The result comes as a file only the script writes (its stdout once carried Maven's colour codes too).
  const handOver = join(mkdtempSync(join(tmpdir(), 'livehouse-compat-')), 'clients.json')
  await exec(process.execPath, [join(root, 'scripts/compat/setup.mjs'), '--out', handOver], { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 900_000 })
  clients = JSON.parse(readFileSync(handOver, 'utf8'))
  rmSync(dirname(handOver), { recursive: true, force: true })
  port = await getFreePort()
  return { SQL_PORT: String(port) }
}

const file = gatewayForFile(setUpClients, async (gw) => {
  token = await tokenFor(['analyst'])
  const now = Date.now()
  await ingestStored(gw, { trades: Array.from({ length: 50 }, (_, i) => ({ id: `c${i}`, ts: now - i * 1000, symbol: i % 2 ? 'BTC-USD' : 'ETH-USD', price: 100 + i, qty: 0.5, side: 'buy' })) })
}, { timeoutMs: 900_000 })

/** Runs a client process (never blocking this process's event loop, where the gateway runs). */
async function runClient(file: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout } = await exec(file, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
    return stdout
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${file} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`)
  }
}

const jsonLines = (out: string) => Object.fromEntries(out.trim().split('\n').map((l) => JSON.parse(l) as { step: string; value: unknown }).map((r) => [r.step, r.value]))

describe('Python clickhouse-connect', () => {
  it('queries, binds parameters, reads pandas and Arrow, streams; a compressed insert is refused, never run', async () => {
    const out = jsonLines(await runClient(clients.python.python, [clients.python.script], { SQL_HOST: '127.0.0.1', SQL_PORT: String(port), SQL_TOKEN: token }))
    expect(out.query).toEqual([['BTC-USD', 25], ['ETH-USD', 25]])
    expect(out.parameters).toEqual([["it's \\ \"q\"", 42, ["a'b", 'c']]])
    expect(out.query_df).toEqual({ columns: ['symbol', 'total'], rows: 2, total: 50 * 100 + (49 * 50) / 2 })
    expect(out.query_arrow).toBe(1000)
    expect(out.stream).toBe(200000)
    expect(out.insert).toMatch(/code: 779|Content-Encoding/)
    expect(out.file).toMatch(/code: 497/)
    expect(Number((await rows<{ n: string }>(file.gw.clickhouse('ops'), "SELECT count() AS n FROM trades WHERE id = 'x'"))[0].n)).toBe(0)
  })
})

describe('Go clickhouse-go/v2 over HTTP', () => {
  for (const compression of ['lz4', 'gzip']) {
    it(`pings, binds parameters, scans Decimal, DateTime64 and LowCardinality into a struct, with ${compression} compression`, async () => {
      const out = jsonLines(await runClient(clients.go.binary, [], { SQL_ADDR: `127.0.0.1:${port}`, SQL_TOKEN: token, SQL_COMPRESSION: compression }))
      expect(out.ping).toBe('ok')
      expect(out.select).toEqual({ d: '12.34', t: '2024-01-02T03:04:05.678Z', lc: 'lc-value', n: 42, s: 'it\'s a "test"' })
      expect(out.count).toBe(100000)
      expect(out.refused).toMatch(/code: 164/)
    })
  }
})

describe('Java JDBC v2', () => {
  it('connects, selects, runs a prepared statement and browses tables and columns (compress=1, its default)', async () => {
    const out = await runClient('java', ['-cp', clients.java.classpath, 'Compat'], { SQL_URL: `jdbc:clickhouse://127.0.0.1:${port}/default`, SQL_TOKEN: token })
    const lines = Object.fromEntries(out.trim().split('\n').map((l) => l.split('\t') as [string, string]))
    expect(lines.select).toBe(`50 ${50 * 100 + (49 * 50) / 2}`)
    expect(lines.prepared).toBe('BTC-USD 25')
    expect(lines.tables.split(',')).toContain('trades')
    expect(lines.columns).toContain("ts:DateTime64(3, 'UTC')")
    expect(lines.refused).toMatch(/Code: 164/)
  })
})

describe('@clickhouse/client', () => {
  it('queries with parameters and is refused a write', async () => {
    const client = createClient({ url: `http://127.0.0.1:${port}`, username: 'js-analyst', password: token, compression: { response: true, request: false } })
    try {
      const rs = await client.query({ query: 'SELECT count() AS n FROM trades WHERE symbol = {s:String}', query_params: { s: 'ETH-USD' }, format: 'JSONEachRow' })
      expect(Number((await rs.json<{ n: string }>())[0].n)).toBe(25)
      await expect(client.command({ query: 'DROP TABLE trades' })).rejects.toMatchObject({ code: '164' })
    } finally {
      await client.close()
    }
  })
})

describe('the curl recipes of docs/sql.md', () => {
  const recipes = [...readFileSync(join(root, 'docs/sql.md'), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].split('\n').filter((l) => l.startsWith('curl ')))
  it('are there', () => expect(recipes.length).toBeGreaterThanOrEqual(4))
  for (const recipe of recipes) {
    it(`runs: ${recipe.slice(0, 90)}`, async () => {
      const out = await runClient('bash', ['-c', `set -euo pipefail; ${recipe}`], { LIVEHOUSE_SQL: `http://127.0.0.1:${port}`, TOKEN: token })
      expect(out.length).toBeGreaterThan(0)
      expect(out).not.toMatch(/DB::Exception/)
    })
  }
})
