// The Go load client (bench/live/go-client) against earlier versions of itself, in the same
// run: each reads the same fan-out floor server (bench/live/floor-server.ts) in turns, and the
// report gives each client's own CPU per frame received and the publish → receive latency it
// measured. A load client's CPU is part of every latency it reports on a shared 2-core
// machine, so a library replaces hand-written code only where it costs no more CPU per frame.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { cpuSeconds, ensureGoClient, root, spawnNode, spawnProc, type Proc } from './processes.ts'

/** Earlier clients: all hand-written (handshake, frames, MessagePack), and all on libraries (coder/websocket, vmihailenco/msgpack). */
export const earlierClients: Record<string, string> = { 'hand-written (2054590)': '2054590', 'coder/websocket + msgpack (fa9d4dd)': 'fa9d4dd' }

export interface GoClientCompareOptions {
  name: string
  runs: number
  seconds: number
  clients: number
  channels: number
  tickMs: number
}

interface Sample {
  client: string
  framesPerS: number
  cpuPct: number
  cpuUsPerFrame: number
  p50Ms: number | null
  p99Ms: number | null
  rssMb: number
}

/** Builds the client as it was at `rev` into the checkout's cache (once). */
function ensureGoClientAt(rev: string): string {
  const bin = join(root, `.cache/bin/live-client-${rev}`)
  if (existsSync(bin)) return bin
  const dir = join(root, `.cache/go-client-${rev}`)
  mkdirSync(dir, { recursive: true })
  const files = execFileSync('git', ['ls-tree', '--name-only', `${rev}:bench/live/go-client`], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean)
  for (const f of files) writeFileSync(join(dir, f), execFileSync('git', ['show', `${rev}:bench/live/go-client/${f}`], { cwd: root }))
  console.log(`bench go-client: building the client of ${rev}…`)
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: dir, stdio: 'inherit' })
  return bin
}

function percentileOfHist(hist: [number, number][], p: number): number | null {
  const total = hist.reduce((n, [, c]) => n + c, 0)
  if (!total) return null
  const rank = Math.max(1, Math.ceil((p / 100) * total))
  let seen = 0
  for (const [ms, c] of hist) if ((seen += c) >= rank) return ms
  return null
}

/** One client binary reading the floor server for `seconds`: its CPU per frame and the latency it saw. */
async function measure(label: string, bin: string, o: GoClientCompareOptions): Promise<Sample> {
  const server = spawnNode(join(root, 'bench/live/floor-server.ts'), [])
  let client: Proc | undefined
  try {
    const { port } = await server.next('listening')
    client = spawnProc([bin, '-addr', `127.0.0.1:${port}`, '-kind', 'msgpack', '-path', '/floor', '-probe-every', String(o.clients + 1), '-count', String(o.clients)], {}, label)
    await client.next('ready', 300_000)
    server.say(`start ${o.channels} ${o.tickMs}`)
    await sleep(1000) // first frames: connections warm, goroutines scheduled
    client.say('start')
    const cpu0 = cpuSeconds(client.pid)
    const t0 = Date.now()
    await sleep(o.seconds * 1000)
    const cpuS = cpuSeconds(client.pid) - cpu0
    const wallS = (Date.now() - t0) / 1000
    client.say('stop')
    const r = await client.next('result', 60_000)
    server.say('stop')
    return {
      client: label,
      framesPerS: Math.round(r.updates / r.seconds),
      cpuPct: Math.round((cpuS / wallS) * 1000) / 10,
      cpuUsPerFrame: r.updates ? Math.round((cpuS * 1e6 * 100) / r.updates) / 100 : NaN,
      p50Ms: percentileOfHist(r.latencyHist, 50),
      p99Ms: percentileOfHist(r.latencyHist, 99),
      rssMb: r.rssMb,
    }
  } finally {
    await client?.stop()
    await server.stop()
  }
}

export async function goClientCompareScenario(o: GoClientCompareOptions) {
  const clients: Record<string, string> = { current: ensureGoClient() }
  for (const [label, rev] of Object.entries(earlierClients)) clients[label] = ensureGoClientAt(rev)
  const labels = Object.keys(clients)
  const samples: Sample[] = []
  for (let run = 0; run < o.runs; run++) {
    // Rotate the order, so no client always runs first (on the warmer, or busier, part).
    const order = labels.map((_, i) => labels[(i + run) % labels.length])
    for (const label of order) {
      const s = await measure(label, clients[label], o)
      console.log(`bench go-client: run ${run + 1}/${o.runs} ${label}: ${s.framesPerS} frames/s, ${s.cpuUsPerFrame} µs CPU/frame (${s.cpuPct}% of a core), p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms`)
      samples.push(s)
    }
  }
  const summary = Object.keys(clients).map((label) => {
    const mine = samples.filter((s) => s.client === label)
    const range = (k: keyof Sample) => [Math.min(...mine.map((s) => s[k] as number)), Math.max(...mine.map((s) => s[k] as number))]
    return {
      client: label,
      framesPerS: median(mine.map((s) => s.framesPerS)),
      cpuUsPerFrame: median(mine.map((s) => s.cpuUsPerFrame)),
      cpuUsPerFrameRange: range('cpuUsPerFrame'),
      p50Ms: median(mine.map((s) => s.p50Ms ?? NaN)),
      p99Ms: median(mine.map((s) => s.p99Ms ?? NaN)),
      p99MsRange: range('p99Ms'),
      rssMb: median(mine.map((s) => s.rssMb)),
    }
  })
  const [current, hand] = summary
  const ratio = current.cpuUsPerFrame !== null && hand.cpuUsPerFrame ? Math.round((current.cpuUsPerFrame / hand.cpuUsPerFrame) * 100) / 100 : null
  const md = [
    `# Go live client: current vs earlier versions (${new Date().toISOString()})`,
    '',
    `Each client reads the fan-out floor server (bare uWS, \`bench/live/floor-server.ts\`): ${o.clients.toLocaleString('en-US')} connections × ${o.channels} frames every ${o.tickMs} ms, ` +
      `${o.seconds} s per measurement, ${o.runs} runs, the clients in rotating order. CPU is the client process's own (user + system, /proc); ` +
      `current = \`bench/live/go-client\` now, the others the same folder at the commit named. Medians, [min–max] over runs.`,
    '',
    '| client | frames/s | CPU µs per frame | p50 | p99 | RSS |',
    '|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.client} | ${s.framesPerS?.toLocaleString('en-US')} | ${s.cpuUsPerFrame} [${s.cpuUsPerFrameRange.join('–')}] | ${s.p50Ms} ms | ${s.p99Ms} ms [${s.p99MsRange.join('–')}] | ${s.rssMb} MB |`),
    '',
    `CPU per frame, current / ${hand.client}: **${ratio}** (1.00 = the same cost).`,
    '',
  ].join('\n')
  const svg = barChartSvg('Go live client: CPU per frame', 'µs', summary.map((s) => ({ label: s.client, value: s.cpuUsPerFrame ?? 0 })))
  const files = writeReport(o.name, { scenario: o.name, machine: machine(), options: o, earlierClients, summary, ratio, samples }, md, svg)
  return { summary: { clients: summary, ratio }, files }
}
