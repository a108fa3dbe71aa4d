import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { loadConfig } from '../../api/config.ts'
import { startLivehouse, type Livehouse } from '../../api/livehouse.ts'
import { createLogger } from '../../api/log.ts'
import { createAuth } from '../../api/auth.ts'
import { type Role } from '../../core/roles.ts'

const root = resolve(import.meta.dirname, '../..')
/**
 * Test gateways never shed ingestion for CPU (api/ingest/admission.ts): on a machine busy with
 * other tests their event loops lag, and a refused seed would fail a test about something else.
 * The overload tests turn it on.
 */
const noShedding = { INGEST_SHED_LOOP_DELAY_MS: '0', INGEST_SHED_TICK_MS: '0' }
/**
 * The insights' refresh period follows the wall time their refreshes take (api/clickhouse/refresh-schedule.ts):
 * on a loaded test host it would stretch, and a test waiting for a snapshot would wait minutes. Its own tests set a budget.
 */
const everyMinute = { INSIGHTS_REFRESH_BUDGET: '0' }
export const testSecret = 'test-secret-which-is-long-enough-for-hs256'
export const auth = createAuth(testSecret)
/** What every test gateway runs with, in or out of process; a test's own env goes on top. */
const testEnv = (dataDir: string, logLevel: string) => ({
  PORT: '0', SQL_PORT: '0', DATA_DIR: dataDir, AUTH_SECRET: testSecret, DEMO_RATE: '0', LOG_LEVEL: logLevel, ...noShedding, ...everyMinute,
})

export interface TestGateway {
  url: string
  port: number
  dataDir: string
  output: () => string
  /** Stops the process (SIGTERM, or SIGKILL when `hard`) and waits for it to exit. */
  stop(hard?: boolean): Promise<void>
  /** Starts a fresh process on the same data directory (and port, when it is free again). */
  restart(): Promise<TestGateway>
}

/**
 * Runs the real gateway (`tsx api/main.ts`) as a child process on its own data
 * directory: chDB allows one data directory per process, and tests that restart
 * the gateway need a process to kill.
 */
export async function startGateway(env: Record<string, string> = {}, dataDir?: string): Promise<TestGateway> {
  if (dataDir) return startGatewayOn(env, dataDir)
  // A directory made here is removed here if no gateway comes of it (after start, the caller removes it).
  const dir = madeDir()
  return removedOnFailure(dir, () => startGatewayOn(env, dir))
}

/** A fresh data directory, removed at the latest when this process ends. */
function madeDir() {
  const dir = mkdtempSync(join(tmpdir(), 'livehouse-test-'))
  made.add(dir)
  return dir
}

/** `start()`, or, when it throws, `dir` removed and the error passed on. */
async function removedOnFailure<T>(dir: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (e) {
    removeDir(dir)
    throw e
  }
}

async function startGatewayOn(env: Record<string, string>, dir: string): Promise<TestGateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'api/main.ts')], {
    cwd: root,
    env: { ...process.env, ...testEnv(dir, 'warn'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the launcher re-spawns the gateway without secrets (api/sql/secret-env.ts), and stop() must see both gone.
    detached: true,
  })
  running.add(child)
  child.once('exit', () => waitGroupGone(child).then(() => running.delete(child)))
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolveUrl, reject) => {
    // Starting tsx, chDB and the migrations takes seconds on a quiet machine, minutes on a loaded one.
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 180 s:\n${out}`)), 180_000)
    child.stdout!.on('data', () => {
      const m = /Livehouse is up: (http:\/\/\S+)/.exec(out)
      if (m) (clearTimeout(timer), resolveUrl(m[1].replace('localhost', '127.0.0.1')))
    })
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`gateway exited with ${code}:\n${out}`))))
  }).catch(async (e) => {
    // Not started in time: stopped before the caller removes its directory.
    await stopChild(child, true)
    throw e
  })
  const gateway: TestGateway = {
    url,
    port: Number(new URL(url).port),
    dataDir: dir,
    output: () => out,
    stop: (hard = false) => stopChild(child, hard),
    restart: async () => {
      await stopChild(child, false)
      return startGateway(env, dir)
    },
  }
  return gateway
}

const running = new Set<ChildProcess>()
/** Data directories made here (startGateway, startInProcess). */
const made = new Set<string>()

/**
 * A test process that ends without stopping its gateways (a crash, a hook timeout) takes them
 * with it, and the directories made for them. vitest ends a file's process with SIGTERM, which
 * runs no 'exit' handler, and with SIGKILL 500 ms later: the gateways are killed first thing;
 * the directories go once they are gone (best effort within that time), then SIGTERM ends the
 * process as it would have.
 */
function killAll() {
  running.forEach((c) => signalGroup(c, 'SIGKILL'))
}
function removeMade() {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 })
    } catch {
      // Left behind: the process ends either way.
    }
  }
}
process.once('exit', () => (killAll(), removeMade()))
// Only in a vitest worker: a benchmark that imports this has its own SIGTERM handler, which
// stops what it started before it exits (bench/lib/interrupt.ts); ending it here would cut that short.
if (process.env.VITEST_POOL_ID) {
  process.once('SIGTERM', async () => {
    killAll()
    const until = Date.now() + 300
    while ([...running].some(groupAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
    removeMade()
    process.kill(process.pid, 'SIGTERM')
  })
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal)
  } catch {
    // Already gone.
  }
}

function groupAlive(child: ChildProcess) {
  try {
    process.kill(-child.pid!, 0)
    return true
  } catch {
    return false
  }
}

/** Resolves once no process of the child's group is left (the gateway holds its data directory's lock until then). */
async function waitGroupGone(child: ChildProcess) {
  const killAt = Date.now() + 15_000
  while (groupAlive(child)) {
    if (Date.now() > killAt) signalGroup(child, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 50))
  }
}

function stopChild(child: ChildProcess, hard: boolean): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    // The launcher forwards SIGTERM to the gateway and mirrors its exit; a hard stop kills both at once.
    if (hard) signalGroup(child, 'SIGKILL')
    else child.kill('SIGTERM')
  }
  return waitGroupGone(child)
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true })
}

export const tokenFor = (roles: Role[], scope: { symbols?: string[]; shops?: string[] } = {}, ttl = '1h') =>
  auth.sign({ sub: `test-${roles.join('-')}`, roles, symbols: scope.symbols ?? ['*'], shops: scope.shops ?? ['*'] }, ttl)

/** Posts NDJSON to the ingestion endpoint. */
export async function ingest(gw: { url: string }, stream: string, lines: (object | string)[], init: RequestInit = {}): Promise<Response> {
  const body = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')
  return fetch(`${gw.url}/v1/events/${stream}`, {
    method: 'POST',
    body,
    ...init,
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${await tokenFor(['ingest'])}`, ...(init.headers as Record<string, string>) },
  })
}

/** A JSON API call with a Bearer token: the status, and the parsed body (none on 204). */
export async function callApi(gw: { url: string }, method: string, path: string, token: string, body?: unknown) {
  const r = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: r.status, body: r.status === 204 ? undefined : ((await r.json()) as Record<string, any>) }
}

/** The gateway in this test process (one data directory per process: one per test file). */
export async function startInProcess(env: Record<string, string> = {}): Promise<Livehouse & { dataDir: string }> {
  const dataDir = madeDir()
  // A refused configuration or a failed start leaves no directory behind (after start, gatewayForFile removes it).
  const livehouse = await removedOnFailure(dataDir, () => startLivehouse(loadConfig({ ...testEnv(dataDir, 'silent'), HOST: '127.0.0.1', ...env }), createLogger('silent')))
  return { ...livehouse, url: livehouse.url.replace('localhost', '127.0.0.1'), sqlUrl: livehouse.sqlUrl?.replace('localhost', '127.0.0.1'), dataDir }
}

/** Rows of a query, for assertions. */
export async function rows<T = Record<string, unknown>>(ch: ClickHouseClient, query: string, params?: Record<string, unknown>): Promise<T[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}
