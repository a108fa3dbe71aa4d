// k6 scenarios against a real gateway process with demo data and Redis: the historical
// HTTP mix through the cache, and WebSocket fan-out reading frame headers only. k6 is not
// built or downloaded by the project: point K6_BIN at an installed k6 (or put k6 on PATH).
// The report gives k6's own CPU beside the gateway's and says when k6 was the bottleneck.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createAuth } from '../../api/auth.ts'
import { bottleneck } from '../lib/generator.ts'
import { onInterrupt } from '../lib/interrupt.ts'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { cpuSeconds, startGatewayProc, type GatewayProc } from '../live/processes.ts'
// @ts-expect-error plain ESM script without types
import { startRedis, stopRedis } from '../../scripts/redis.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort, which } from '../../scripts/lib/proc.mjs'

const secret = 'bench-k6-secret-which-is-long-enough-for-hs256'

/** The k6 to run: K6_BIN, else `k6` on PATH. Never built here (k6 is AGPL-licensed; the project does not fetch it). */
export function findK6(env: NodeJS.ProcessEnv = process.env): string {
  const bin = env.K6_BIN || which('k6')
  if (bin && existsSync(bin)) return bin
  throw new Error(
    `bench k6: no k6 found (${env.K6_BIN ? `K6_BIN=${env.K6_BIN} does not exist` : 'K6_BIN unset, none on PATH'}). ` +
      'Install k6 (https://k6.io, a separate AGPL-licensed tool) and run with K6_BIN=/path/to/k6; ' +
      'the project neither downloads nor builds it. The same WebSocket measurement without k6: npm run bench -- --scenario live.',
  )
}

type Summary = { metrics: Record<string, Record<string, number>> }
interface K6Run {
  summary: Summary
  seconds: number
  k6CpuPct: number
  gatewayCpuPct: number
}

/** Runs one k6 script; samples k6's and the gateway's CPU every 500 ms while it runs (k6's last half second is lost with its /proc entry). */
function runK6(k6: string, script: string, env: Record<string, string>, gatewayPid: number): Promise<K6Run> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-k6-'))
  const out = join(dir, 'summary.json')
  return new Promise<K6Run>((resolveRun, reject) => {
    const child = spawn(k6, ['run', '--quiet', '--summary-export', out, resolve(import.meta.dirname, script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const unregister = onInterrupt(() => child.kill('SIGTERM'))
    const t0 = Date.now()
    const gw0 = cpuSeconds(gatewayPid)
    let k6Cpu = 0
    let gwCpu = 0
    let sampledAt = t0
    const sampler = setInterval(() => {
      const k = cpuSeconds(child.pid!)
      if (Number.isFinite(k)) ((k6Cpu = k), (gwCpu = cpuSeconds(gatewayPid) - gw0), (sampledAt = Date.now()))
    }, 500)
    child.on('error', (e) => (clearInterval(sampler), unregister(), reject(e)))
    child.on('exit', (code) => {
      clearInterval(sampler)
      unregister()
      if (!existsSync(out)) return reject(new Error(`k6 ${script} exited ${code} without a summary`))
      const seconds = Math.max(0.001, (sampledAt - t0) / 1000)
      resolveRun({ summary: JSON.parse(readFileSync(out, 'utf8')), seconds, k6CpuPct: (k6Cpu / seconds) * 100, gatewayCpuPct: (gwCpu / seconds) * 100 })
    })
  }).finally(() => rmSync(dir, { recursive: true, force: true }))
}

const pct = (v: number) => `${Math.round(v)}%`

export async function k6Scenario(options: { name: string; seconds: number; httpVus: number; wsVus: number }) {
  const k6 = findK6()
  const redisPort = await getFreePort()
  // Redis runs detached in its own process group: registered before it starts, so a Ctrl-C while it boots stops it too.
  const unregisterRedis = onInterrupt(() => stopRedis({ port: redisPort }))
  let gw: GatewayProc | undefined
  try {
    const redis = await startRedis({ port: redisPort })
    gw = await startGatewayProc({ DEMO_RATE: '2000', REDIS_URL: redis.url, AUTH_SECRET: secret, RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0' })
    const token = await createAuth(secret).sign({ sub: 'bench-k6', roles: ['admin'], symbols: ['*'], shops: ['*'] }, '1h')
    await sleep(3000) // let demo data reach the rollups
    const env = { BASE_URL: gw.url, TOKEN: token, SECONDS: String(options.seconds) }
    console.log(`bench k6: historical mix, ${options.httpVus} VUs, ${options.seconds} s…`)
    const http = await runK6(k6, 'history.js', { ...env, VUS: String(options.httpVus) }, gw.pid)
    console.log(`bench k6: WebSocket fan-out, ${options.wsVus} connections × 2 channels, ${options.seconds} s…`)
    const ws = await runK6(k6, 'ws-fanout.js', { ...env, VUS: String(options.wsVus), CHANNELS: '2' }, gw.pid)
    const cores = availableParallelism()
    const m = (r: K6Run, name: string) => r.summary.metrics[name] ?? {}
    const load = (r: K6Run) => ({ k6CpuPct: Math.round(r.k6CpuPct), gatewayCpuPct: Math.round(r.gatewayCpuPct), ...bottleneck({ generatorCpuPct: r.k6CpuPct, serverCpuPct: r.gatewayCpuPct, cores }) })
    const deltas = m(ws, 'deltas').count ?? 0
    const summary = {
      http: {
        reqPerS: m(http, 'http_reqs').rate,
        p50Ms: m(http, 'http_req_duration').med,
        p95Ms: m(http, 'http_req_duration')['p(95)'],
        maxMs: m(http, 'http_req_duration').max,
        failedRate: m(http, 'http_req_failed').value,
        hitRatio: m(http, 'cache_hit').value,
        ...load(http),
      },
      ws: {
        connections: options.wsVus,
        deltasPerS: m(ws, 'deltas').rate,
        latencyP50Ms: m(ws, 'delta_latency_ms').med,
        latencyP95Ms: m(ws, 'delta_latency_ms')['p(95)'],
        latencyMaxMs: m(ws, 'delta_latency_ms').max,
        deltaBytesAvg: deltas ? (m(ws, 'delta_bytes').count ?? 0) / deltas : null,
        errorFrames: m(ws, 'error_frames').count ?? 0,
        ...load(ws),
      },
    }
    const md = [
      `# k6 scenarios (${new Date().toISOString()})`,
      '',
      `Gateway process with demo data (2,000 events/s) and Redis; k6 (\`${k6}\`) in its own process; ${options.seconds} s each; ${cores} cores shared by both.`,
      'k6 reports p95 by default (its summary export has no p99). k6 CPU and gateway CPU are each process\'s own, in % of one core; ' +
        '"bottleneck" says whether the figures are the server\'s or include k6\'s own backlog (bench/lib/generator.ts).',
      '',
      '| historical mix | req/s | p50 | p95 | max | failed | cache hit ratio | k6 CPU | gateway CPU | bottleneck |',
      '|---|---|---|---|---|---|---|---|---|---|',
      `| ${options.httpVus} VUs | ${summary.http.reqPerS?.toFixed(0)} | ${summary.http.p50Ms?.toFixed(1)} ms | ${summary.http.p95Ms?.toFixed(1)} ms | ${summary.http.maxMs?.toFixed(0)} ms | ${summary.http.failedRate} | ${summary.http.hitRatio?.toFixed(3)} | ${pct(summary.http.k6CpuPct)} | ${pct(summary.http.gatewayCpuPct)} | ${summary.http.bottleneck} |`,
      '',
      '| WebSocket fan-out | deltas/s | latency p50 | p95 | max | bytes/delta | k6 CPU | gateway CPU | bottleneck |',
      '|---|---|---|---|---|---|---|---|---|',
      `| ${options.wsVus} connections × 2 candle channels | ${summary.ws.deltasPerS?.toFixed(0)} | ${summary.ws.latencyP50Ms?.toFixed(1)} ms | ${summary.ws.latencyP95Ms?.toFixed(1)} ms | ${summary.ws.latencyMaxMs?.toFixed(0)} ms | ${summary.ws.deltaBytesAvg?.toFixed(0)} | ${pct(summary.ws.k6CpuPct)} | ${pct(summary.ws.gatewayCpuPct)} | ${summary.ws.bottleneck} |`,
      '',
      `- historical mix: ${summary.http.note}`,
      `- WebSocket fan-out: ${summary.ws.note}`,
      '',
    ].join('\n')
    const svg = barChartSvg('k6', '', [
      { label: 'historical req/s', value: summary.http.reqPerS ?? 0 },
      { label: 'WS deltas/s', value: summary.ws.deltasPerS ?? 0 },
    ])
    const files = writeReport(options.name, { scenario: options.name, machine: machine(), options, summary, raw: { http: http.summary.metrics, ws: ws.summary.metrics } }, md, svg)
    return { summary, files }
  } finally {
    await gw?.stop()
    await stopRedis({ port: redisPort })
    unregisterRedis()
  }
}
