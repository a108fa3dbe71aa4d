// Per-test-file set-up of a gateway in this process: started (and made ready) before the file's
// tests, stopped and its data directory removed after them. One gateway per file: chDB allows
// one data directory per process.
import { afterAll, beforeAll, expect } from 'vitest'
import { drainPending } from 'chdb'
import type { Stream } from '../../core/events.ts'
import { eventually } from './eventually.ts'
import { ingest, removeDir, rows, startGateway, startInProcess, type TestGateway } from './gateway.ts'
import { getFreePort } from './ports.ts'

export type InProcessGateway = Awaited<ReturnType<typeof startInProcess>>
type Env = Record<string, string>

export interface GatewayFile {
  /** The file's gateway; reading it before the beforeAll started one throws. */
  readonly gw: InProcessGateway
  /** Its analysts' SQL port (env from `withSqlPort`); reading it when the port is off throws. */
  readonly sqlUrl: string
}

/**
 * A gateway (`env`, or what `env()` resolves to when the env needs a port or a server started
 * first) for this file, ready after `setUp`, stopped and its data directory removed after the
 * file. A gateway that does not start, or a `setUp` that throws, fails the beforeAll and with
 * it every test of the file. afterAll hooks the file registers after this call run before the
 * gateway stops (vitest runs after-hooks as a stack).
 */
export function gatewayForFile(env: Env | (() => Promise<Env>) = {}, setUp?: (gw: InProcessGateway) => Promise<void>, { timeoutMs = 300_000 } = {}): GatewayFile {
  let started: InProcessGateway | undefined
  beforeAll(async () => {
    started = await startInProcess(typeof env === 'function' ? await env() : env)
    await setUp?.(started)
  }, timeoutMs)
  afterAll(async () => {
    if (!started) return
    try {
      await started.stop()
      // chDB lets go of the directory once its deferred native work is done (chdb's drainPending).
      await drainPending()
    } finally {
      // Removed even when stopping failed: the process ends with the file, and nothing else removes it.
      removeDir(started.dataDir)
    }
  })
  return {
    get gw() {
      if (!started) throw new Error('the gateway of this test file is not running (see the error of its beforeAll)')
      return started
    },
    get sqlUrl() {
      const url = this.gw.sqlUrl
      if (!url) throw new Error('this test file\'s gateway has no SQL port (start it with withSqlPort)')
      return url
    },
  }
}

/**
 * Gateways this file runs as child processes (`startGateway`): each one started or tracked
 * here is stopped, and its data directory removed, after the file (or the describe it is in).
 */
export function gatewayProcessesForFile() {
  const running: TestGateway[] = []
  afterAll(async () => {
    for (const gw of running) await gw.stop()
    for (const dir of new Set(running.map((g) => g.dataDir))) removeDir(dir)
  })
  const track = (gw: TestGateway) => (running.push(gw), gw)
  return {
    start: async (env: Env = {}, dataDir?: string) => track(await startGateway(env, dataDir)),
    /** One started elsewhere, e.g. by `restart()`. */
    track,
  }
}

/** Env without request limits, for files whose many requests are about something else. */
export const noRateLimits: Env = { RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0' }

/** `env` plus the analysts' SQL port on a free port (SQL_PORT 0 means no port at all). */
export const withSqlPort = (env: Env = {}) => async (): Promise<Env> => ({ SQL_PORT: String(await getFreePort()), ...env })

/**
 * Posts each stream's lines, every line of which must be accepted, and waits until its table
 * holds them all (rows of the stream posted before count as well).
 */
export async function ingestStored(gw: InProcessGateway, batches: Partial<Record<Stream, object[]>>, { timeoutMs = 120_000 } = {}) {
  const count = async (stream: Stream) => Number((await rows<{ n: string }>(gw.clickhouse('ops'), `SELECT count() AS n FROM ${stream}`))[0].n)
  const expected: [Stream, number][] = []
  for (const [stream, lines] of Object.entries(batches) as [Stream, object[]][]) {
    const before = await count(stream)
    const res = await ingest(gw, stream, lines)
    expect([stream, res.status, ((await res.json()) as { accepted?: number }).accepted]).toEqual([stream, 200, lines.length])
    expected.push([stream, before + lines.length])
  }
  await eventually(async () => {
    expect(await Promise.all(expected.map(async ([stream]) => [stream, await count(stream)]))).toEqual(expected)
  }, { timeoutMs })
}
