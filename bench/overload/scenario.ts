// The overload scenario: watchers and ingestion together, offered about twice the ingestion the
// machine can take while serving the watchers. Per run: the fan-out floor (bare uWS, same
// clients); a gateway with shedding off, first measured in closed loop (what it takes: the
// capacity), then offered twice that in open loop; then the same on a gateway with shedding on
// (the defaults of INGEST_SHED_*). Reports watcher publish→receive p99, event→client p99 and
// ingestion offered / accepted / refused per second of each, against the floor of the same run.
import { availableParallelism } from 'node:os'
import { createAuth } from '../../api/auth.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { startGatewayProc } from '../live/processes.ts'
import { probeSymbol, runFloor, runPhase, secret, seedHistory, warmupMs, type Floor, type LiveScenarioOptions, type Phase } from '../live/scenario.ts'

export interface OverloadOptions {
  name: string
  runs: number
  seconds: number
  clients: number
  channels: number
  /** Offered load as a multiple of the capacity measured in the same run. */
  overFactor: number
  tickMs?: number
}

type Mode = 'capacity' | 'off' | 'on'
interface Row { mode: Mode; phase: Phase; refusedPerS: number }
interface Run { floor: Floor; capacityPerS: number; offeredTargetPerS: number; rows: Row[] }

const limitsOff = Object.fromEntries(['LIVE_MAX_CONNECTIONS_PER_TOKEN', 'LIVE_MAX_CONNECTIONS_PER_IP', 'LIVE_MAX_CHANNELS_PER_TOKEN', 'LIVE_MAX_UNSEEN_CHANNELS_PER_TOKEN', 'LIVE_MAX_UNSEEN_CHANNELS'].map((k) => [k, '0']))
const sheddingOff = { INGEST_SHED_LOOP_DELAY_MS: '0', INGEST_SHED_TICK_MS: '0' }
/** The load process runs through the warm-up and the window (runPhase): its counts are per second of that. */
const loadSeconds = (o: OverloadOptions) => o.seconds + warmupMs / 1000 + 1

/** One gateway (shedding on or off) measured with `eventsPerS` (0: closed loop). */
async function onGateway(o: OverloadOptions, env: Record<string, string>, loads: { mode: Mode; eventsPerS: number | ((before: Row[]) => number) }[], tokens: Record<string, string>) {
  const symbols = Array.from({ length: o.channels }, (_, i) => `SYM${i}`)
  const gw = await startGatewayProc({ AUTH_SECRET: secret, LIVE_TICK_MS: String(o.tickMs ?? 250), ...limitsOff, ...env })
  const rows: Row[] = []
  try {
    await seedHistory(gw, [...symbols, probeSymbol], tokens.ingest)
    for (const l of loads) {
      const eventsPerS = typeof l.eventsPerS === 'number' ? l.eventsPerS : l.eventsPerS(rows)
      const lo: LiveScenarioOptions = { name: o.name, runs: 1, seconds: o.seconds, clients: o.clients, channels: o.channels, eventsPerS, tickMs: o.tickMs }
      console.log(`bench overload: ${l.mode}: ${o.clients} clients × ${o.channels} channels, ingestion ${eventsPerS ? `${eventsPerS}/s open loop` : 'closed loop'}, ${o.seconds} s…`)
      const phase = await runPhase('gateway', lo, { gw, symbols, tokens })
      const refusedPerS = Math.round(phase.ingestRefused / loadSeconds(o))
      console.log(`  p50 ${phase.p50Ms} p99 ${phase.p99Ms} ms; event→client p99 ${phase.eventP99Ms} ms; ingest offered ${phase.ingestOfferedPerS}/s accepted ${phase.ingestAcceptedPerS}/s refused ${refusedPerS}/s; loop delay ${phase.loopDelayMs.mean}/${phase.loopDelayMs.p99} ms; cpu ${phase.serverCpuPct}%`)
      rows.push({ mode: l.mode, phase, refusedPerS })
    }
  } finally {
    await gw.stop()
  }
  return rows
}

async function runOnce(o: OverloadOptions, run: number): Promise<Run> {
  const auth = createAuth(secret)
  const tokens = {
    trader: await auth.sign({ sub: 'bench-trader', roles: ['trader'], symbols: ['*'], shops: [] }, '2h'),
    ingest: await auth.sign({ sub: 'bench-ingest', roles: ['ingest'], symbols: [], shops: [] }, '2h'),
  }
  const lo: LiveScenarioOptions = { name: o.name, runs: 1, seconds: o.seconds, clients: o.clients, channels: o.channels, eventsPerS: 0, tickMs: o.tickMs }
  const floor = await runFloor(o.clients, lo)
  console.log(`bench overload: run ${run + 1}/${o.runs}, floor: p50 ${floor.p50Ms} p99 ${floor.p99Ms} ms`)
  // Capacity: what the gateway took in closed loop while serving the same watchers; offered: a multiple of it, in whole requests.
  const offered = (capacityPerS: number) => Math.max(5000, Math.min(200_000, Math.round((o.overFactor * capacityPerS) / 5000) * 5000))
  const off = await onGateway(o, sheddingOff, [
    { mode: 'capacity', eventsPerS: 0 },
    { mode: 'off', eventsPerS: (before) => offered(before[0].phase.ingestAcceptedPerS) },
  ], tokens)
  const capacityPerS = off[0].phase.ingestAcceptedPerS
  const on = await onGateway(o, {}, [{ mode: 'on', eventsPerS: offered(capacityPerS) }], tokens)
  return { floor, capacityPerS, offeredTargetPerS: offered(capacityPerS), rows: [...off, ...on] }
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toLocaleString('en-US'))

export async function overloadScenario(o: OverloadOptions) {
  if (o.clients > 10_000 || o.seconds > 120 || o.runs > 10 || o.channels > 50 || o.overFactor > 4) {
    throw new Error('bench bounds: ≤10k clients, ≤120 s, ≤10 runs, ≤50 channels, ≤4× capacity')
  }
  const runs: Run[] = []
  for (let i = 0; i < o.runs; i++) runs.push(await runOnce(o, i))
  const med = (vs: (number | null)[]) => median(vs.filter((v): v is number => v !== null && v !== undefined))
  const spread = (vs: (number | null)[]) => {
    const xs = vs.filter((v): v is number => v !== null)
    return xs.length ? `${Math.min(...xs)}–${Math.max(...xs)}` : '–'
  }
  const floorP99 = med(runs.map((r) => r.floor.p99Ms))
  const modes: Mode[] = ['capacity', 'off', 'on']
  const summary = modes.map((mode) => {
    const ps = runs.map((r) => r.rows.find((x) => x.mode === mode)!)
    const ratios = runs.map((r, i) => (ps[i].phase.p99Ms !== null && r.floor.p99Ms ? Number((ps[i].phase.p99Ms! / r.floor.p99Ms).toFixed(2)) : null))
    return {
      mode,
      p50Ms: med(ps.map((p) => p.phase.p50Ms)), p99Ms: med(ps.map((p) => p.phase.p99Ms)), p99Spread: spread(ps.map((p) => p.phase.p99Ms)),
      p99OverFloor: med(ratios), p99OverFloorSpread: spread(ratios),
      eventP99Ms: med(ps.map((p) => p.phase.eventP99Ms)), eventP99Spread: spread(ps.map((p) => p.phase.eventP99Ms)),
      offeredPerS: med(ps.map((p) => p.phase.ingestOfferedPerS)), acceptedPerS: med(ps.map((p) => p.phase.ingestAcceptedPerS)),
      refusedPerS: med(ps.map((p) => p.refusedPerS)), missedPerS: med(ps.map((p) => Math.round(p.phase.ingestMissed / loadSeconds(o)))),
      failed: ps.reduce((n, p) => n + p.phase.ingestFailed, 0), framesPerS: med(ps.map((p) => p.phase.updatesPerS)),
      loopDelayMeanMs: med(ps.map((p) => p.phase.loopDelayMs.mean)), cpuPct: med(ps.map((p) => p.phase.serverCpuPct)), loadAvg: med(ps.map((p) => p.phase.loadAvg1m)),
    }
  })
  const on = summary.find((s) => s.mode === 'on')!
  const target = { goal: 3, value: on.p99OverFloor, met: runs.every((r) => { const p = r.rows.find((x) => x.mode === 'on')!.phase; return p.p99Ms !== null && r.floor.p99Ms !== null && p.p99Ms <= 3 * r.floor.p99Ms }) }
  const label = { capacity: 'capacity (shedding off, closed loop)', off: `shedding off, ${o.overFactor}× capacity`, on: `shedding on, ${o.overFactor}× capacity` }
  const md = [
    `# Overload benchmark (${new Date().toISOString()})`,
    '',
    `${o.runs} run(s); ${o.clients.toLocaleString('en-US')} WebSocket clients (bench/live/go-client) × ${o.channels} candle channels (1s), ${o.seconds} s per phase, tick ${o.tickMs ?? 250} ms; `,
    `ingestion from its own process (bench/ingest/load.ts, 5,000-trade NDJSON requests). Per run: the fan-out floor (bare uWS, same clients); a gateway with shedding off`,
    `(INGEST_SHED_LOOP_DELAY_MS=0, INGEST_SHED_TICK_MS=0) measured in closed loop (4 requests in flight: its capacity while serving the watchers), then offered ${o.overFactor}× that in open loop`,
    `(a request due while 64 wait is not sent: "missed"); then a fresh gateway with the default shedding, offered the same. All on one machine with ${availableParallelism()} cores shared with other work.`,
    'publish→receive: client receive time − the frame\'s publish time; event→client: probe trade (10/s) send time → its tape row at a client. Loop delay: the gateway\'s mean event-loop delay beyond its 10 ms sampling.',
    '',
    '## Medians over runs',
    '',
    `Floor p99 (bare uWS, ${fmt(o.clients)} clients): ${fmt(floorP99)} ms (${spread(runs.map((r) => r.floor.p99Ms))}).`,
    '',
    '| phase | watcher p50 ms | watcher p99 ms (min–max) | p99 / floor (min–max) | event→client p99 ms (min–max) | ingest offered /s | accepted /s | refused /s | missed /s | failed | frames/s | loop delay ms | gateway CPU | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${label[s.mode]} | ${fmt(s.p50Ms)} | ${fmt(s.p99Ms)} (${s.p99Spread}) | ${fmt(s.p99OverFloor)}× (${s.p99OverFloorSpread}) | ${fmt(s.eventP99Ms)} (${s.eventP99Spread}) | ${fmt(s.offeredPerS)} | ${fmt(s.acceptedPerS)} | ${fmt(s.refusedPerS)} | ${fmt(s.missedPerS)} | ${s.failed} | ${fmt(s.framesPerS)} | ${fmt(s.loopDelayMeanMs)} | ${fmt(s.cpuPct)}% | ${fmt(s.loadAvg)} |`),
    '',
    '## Target',
    '',
    '| target | goal | measured (median) | met in every run |',
    '|---|---|---|---|',
    `| watcher p99 under ${o.overFactor}× overload, shedding on | ≤ 3× the floor of the same run | ${fmt(target.value)}× | ${target.met ? 'yes' : 'no'} |`,
    '',
    '## Every run',
    '',
    '| run | floor p50 / p99 ms | capacity /s | offered target /s | phase | watcher p50 / p99 ms | event→client p99 ms | offered / accepted / refused / missed per s | failed | loop delay mean / p99 ms | ticks p50 / max ms (count) | CPU | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.flatMap((r, i) => r.rows.map((x) => `| ${i + 1} | ${fmt(r.floor.p50Ms)} / ${fmt(r.floor.p99Ms)} | ${fmt(r.capacityPerS)} | ${fmt(r.offeredTargetPerS)} | ${x.mode} | ${fmt(x.phase.p50Ms)} / ${fmt(x.phase.p99Ms)} | ${fmt(x.phase.eventP99Ms)} | ${fmt(x.phase.ingestOfferedPerS)} / ${fmt(x.phase.ingestAcceptedPerS)} / ${fmt(x.refusedPerS)} / ${fmt(Math.round(x.phase.ingestMissed / loadSeconds(o)))} | ${x.phase.ingestFailed} | ${fmt(x.phase.loopDelayMs.mean)} / ${fmt(x.phase.loopDelayMs.p99)} | ≤ ${fmt(x.phase.tickMs.p50AtMost)} / ≤ ${fmt(x.phase.tickMs.maxAtMost)} (${x.phase.tickMs.count}) | ${x.phase.serverCpuPct}% | ${x.phase.loadAvg1m} |`)),
    '',
  ].join('\n')
  const files = writeReport(o.name, { scenario: o.name, machine: machine(), options: o, summary, target, runs }, md)
  return { summary: { summary, target }, files }
}
