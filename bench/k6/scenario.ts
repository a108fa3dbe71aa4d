// k6 scenarios against a real gateway process with demo data and Redis: the historical
// HTTP mix through the cache, and WebSocket fan-out decoding MessagePack. k6 is built from
// the Go module proxy (`go install go.k6.io/k6@<version>`) when it is not installed.
import { setTimeout as sleep } from 'node:timers/promises'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { removeDir, startGateway, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { onInterrupt, stopOnInterrupt } from '../lib/interrupt.ts'
// @ts-expect-error plain ESM script without types
import { startRedis, stopRedis } from '../../scripts/redis.mjs'
// @ts-expect-error plain ESM script without types
import { getFreePort, which } from '../../scripts/lib/proc.mjs'

const k6Version = 'v1.4.2'

function ensureK6(): string {
  const onPath: string | undefined = which('k6')
  if (onPath) return onPath
  const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim()
  const bin = join(gopath, 'bin', 'k6')
  if (!existsSync(bin)) {
    console.log(`bench: building k6 ${k6Version} from the Go module proxy (a few minutes, once)…`)
    execFileSync('go', ['install', `go.k6.io/k6@${k6Version}`], { stdio: 'inherit' })
  }
  return bin
}

type Summary = { metrics: Record<string, Record<string, number>> }

function runK6(k6: string, script: string, env: Record<string, string>): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-k6-'))
  const out = join(dir, 'summary.json')
  return new Promise<Summary>((resolveRun, reject) => {
    const child = spawn(k6, ['run', '--quiet', '--summary-export', out, resolve(import.meta.dirname, script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const unregister = onInterrupt(() => child.kill('SIGTERM'))
    child.on('exit', (code) => {
      unregister()
      if (!existsSync(out)) return reject(new Error(`k6 ${script} exited ${code} without a summary`))
      resolveRun(JSON.parse(readFileSync(out, 'utf8')))
    })
  }).finally(() => rmSync(dir, { recursive: true, force: true }))
}

export async function k6Scenario(options: { name: string; seconds: number; httpVus: number; wsVus: number }) {
  const k6 = ensureK6()
  const redisPort = await getFreePort()
  // Redis runs detached in its own process group: registered before it starts, so a Ctrl-C while it boots stops it too.
  const unregisterRedis = onInterrupt(() => stopRedis({ port: redisPort }))
  let gw: TestGateway | undefined
  try {
    const redis = await startRedis({ port: redisPort })
    gw = stopOnInterrupt(await startGateway({ DEMO_RATE: '2000', REDIS_URL: redis.url, RATE_LIMIT_TOKEN_PER_S: '0', RATE_LIMIT_IP_PER_S: '0' }))
    const token = await tokenFor(['admin'])
    await sleep(3000) // let demo data reach the rollups
    const env = { BASE_URL: gw.url, TOKEN: token, SECONDS: String(options.seconds) }
    console.log(`bench k6: historical mix, ${options.httpVus} VUs, ${options.seconds} s…`)
    const http = await runK6(k6, 'history.js', { ...env, VUS: String(options.httpVus) })
    console.log(`bench k6: WebSocket fan-out, ${options.wsVus} connections × 2 channels, ${options.seconds} s…`)
    const ws = await runK6(k6, 'ws-fanout.js', { ...env, VUS: String(options.wsVus), CHANNELS: '2' })
    const m = (s: Summary, name: string) => s.metrics[name] ?? {}
    const summary = {
      http: {
        reqPerS: m(http, 'http_reqs').rate,
        p50Ms: m(http, 'http_req_duration').med,
        p95Ms: m(http, 'http_req_duration')['p(95)'],
        maxMs: m(http, 'http_req_duration').max,
        failedRate: m(http, 'http_req_failed').value,
        hitRatio: m(http, 'cache_hit').value,
      },
      ws: {
        connections: options.wsVus,
        deltasPerS: m(ws, 'deltas').rate,
        latencyP50Ms: m(ws, 'delta_latency_ms').med,
        latencyP95Ms: m(ws, 'delta_latency_ms')['p(95)'],
        latencyMaxMs: m(ws, 'delta_latency_ms').max,
        deltaBytesAvg: m(ws, 'delta_bytes').avg,
        errorFrames: m(ws, 'error_frames').count ?? 0,
      },
    }
    const md = [
      `# k6 scenarios (${new Date().toISOString()})`,
      '',
      `Gateway process with demo data (2,000 events/s) and Redis; k6 ${k6Version} in its own process; ${options.seconds} s each.`,
      'k6 reports p95 by default (its summary export has no p99).',
      '',
      '| historical mix | req/s | p50 | p95 | max | failed | cache hit ratio |',
      '|---|---|---|---|---|---|---|',
      `| ${options.httpVus} VUs | ${summary.http.reqPerS?.toFixed(0)} | ${summary.http.p50Ms?.toFixed(1)} ms | ${summary.http.p95Ms?.toFixed(1)} ms | ${summary.http.maxMs?.toFixed(0)} ms | ${summary.http.failedRate} | ${summary.http.hitRatio?.toFixed(3)} |`,
      '',
      '| WebSocket fan-out | deltas/s | latency p50 | p95 | max | bytes/delta |',
      '|---|---|---|---|---|---|',
      `| ${options.wsVus} connections × 2 candle channels | ${summary.ws.deltasPerS?.toFixed(0)} | ${summary.ws.latencyP50Ms?.toFixed(1)} ms | ${summary.ws.latencyP95Ms?.toFixed(1)} ms | ${summary.ws.latencyMaxMs?.toFixed(0)} ms | ${summary.ws.deltaBytesAvg?.toFixed(0)} |`,
      '',
    ].join('\n')
    const svg = barChartSvg('k6', '', [
      { label: 'historical req/s', value: summary.http.reqPerS ?? 0 },
      { label: 'WS deltas/s', value: summary.ws.deltasPerS ?? 0 },
    ])
    const files = writeReport(options.name, { scenario: options.name, machine: machine(), options, summary, raw: { http: http.metrics, ws: ws.metrics } }, md, svg)
    return { summary, files }
  } finally {
    await gw?.stop()
    if (gw) removeDir(gw.dataDir)
    await stopRedis({ port: redisPort })
    unregisterRedis()
  }
}
