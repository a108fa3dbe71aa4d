// The ingestion scenario: several runs per mode (embedded INSERTs, Kafka) with deduplication on
// and off, each in its own process and interleaved run by run, so on and off see the same machine;
// throughput, freshness and zero loss, against the raw chDB insert ceiling of the same run. With
// `baseline` (a checkout of older code), every mode also runs on that code, interleaved run by run.
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { runTsxJson } from '../lib/child.ts'

interface IngestRun {
  code: 'this branch' | 'baseline'
  mode: 'embedded' | 'kafka'
  dedup: 'on' | 'off'
  keys: boolean
  acceptedPerS: number
  accepted: number
  stored: number
  lost: number
  duplicates: number
  refused: number
  freshness: { samples: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null }
  /** JSONEachRow into chDB, straight from the client. */
  ceilingRowsPerS: number
  /** JSONCompactEachRow, the format INSERTs use now (absent from older code's runs). */
  ceilingCompactRowsPerS?: number
  /** CPU of the whole measuring process (gateway and chDB) per accepted event, over the load (absent from older runs). */
  cpuUsPerEvent?: number
  /** CPU per row of the ceiling's INSERTs, JSONEachRow and JSONCompactEachRow. */
  ceilingCpuUsPerRow?: number
  ceilingCompactCpuUsPerRow?: number
  /** The load average (1 min) just before the run. */
  load1: number
}

export interface IngestScenarioOptions {
  runs: number
  seconds: number
  kafkaBrokers?: string
  name: string
  /** A checkout of the code to compare with (e.g. `git archive main | tar -x -C DIR` + node_modules link). */
  baseline?: string
  /** Requests in flight from the closed-loop load generator (default 4, 5,000 trades each). */
  concurrency?: number
  /** Only these modes (`embedded dedup on`), or a transport's modes (`kafka`); default all. */
  modes?: string[]
}

const here = import.meta.dirname
const ceilingOf = (r: IngestRun) => Math.max(r.ceilingRowsPerS, r.ceilingCompactRowsPerS ?? 0)
const pct = (x: number) => `${Math.round(x * 100)} %`
const fmt = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'))

export async function ingestScenario(options: IngestScenarioOptions) {
  const runs: IngestRun[] = []
  const transports: [string, string[]][] = [['embedded', []]]
  if (options.kafkaBrokers) transports.push(['kafka', ['--kafka', options.kafkaBrokers]])
  const modes: [string, string[]][] = transports.flatMap(([t, args]): [string, string[]][] => [
    [`${t} dedup on`, [...args, '--dedup', 'on']],
    [`${t} dedup off`, [...args, '--dedup', 'off']],
    [`${t} dedup on + keys`, [...args, '--dedup', 'on', '--keys']],
  ]).filter(([m]) => !options.modes || options.modes.some((p) => m === p || m.startsWith(`${p} dedup`)))
  const codes: [IngestRun['code'], string][] = [['this branch', resolve(here, 'mode.ts')]]
  if (options.baseline) codes.push(['baseline', resolve(options.baseline, 'bench/ingest/mode.ts')])
  const concurrency = String(options.concurrency ?? 4)
  const modeOf = (r: IngestRun) => `${r.mode} dedup ${r.dedup}${r.keys ? ' + keys' : ''}`
  for (let i = 0; i < options.runs; i++) {
    for (const [mode, args] of modes) {
      // Which code goes first alternates run by run, so neither always gets the fresher machine.
      for (const [code, script] of i % 2 === 0 ? codes : [...codes].reverse()) {
        console.log(`bench ingest: ${mode} (${code}) run ${i + 1}/${options.runs} (${options.seconds} s)…`)
        const load1 = Number(loadavg()[0].toFixed(1))
        const run = { ...(await runTsxJson<IngestRun>(script, [...args, '--seconds', String(options.seconds), '--concurrency', concurrency])), code, load1 }
        console.log(`  ${fmt(run.acceptedPerS)} events/s (${pct(run.acceptedPerS / ceilingOf(run))} of the ceiling), freshness p50 ${run.freshness.p50Ms} ms p99 ${run.freshness.p99Ms} ms, lost ${run.lost}, ceiling ${fmt(run.ceilingRowsPerS)} rows/s JSONEachRow, ${fmt(run.ceilingCompactRowsPerS)} compact; load ${load1}`)
        runs.push(run)
      }
    }
  }
  const summary = codes.flatMap(([code]) => modes.map(([mode]) => {
    const mine = runs.filter((r) => modeOf(r) === mode && r.code === code)
    return {
      code,
      mode,
      runs: mine.length,
      medianEventsPerS: median(mine.map((r) => r.acceptedPerS)),
      medianFreshnessP50Ms: median(mine.map((r) => r.freshness.p50Ms ?? NaN)),
      medianFreshnessP99Ms: median(mine.map((r) => r.freshness.p99Ms ?? NaN)),
      worstFreshnessP99Ms: Math.max(...mine.map((r) => r.freshness.p99Ms ?? 0)),
      lost: mine.reduce((n, r) => n + r.lost, 0),
      duplicates: mine.reduce((n, r) => n + r.duplicates, 0),
      medianCeilingRowsPerS: median(mine.map((r) => r.ceilingRowsPerS)),
      medianCeilingCompactRowsPerS: median(mine.flatMap((r) => r.ceilingCompactRowsPerS ?? [])),
      spreadEventsPerS: [Math.min(...mine.map((r) => r.acceptedPerS)), Math.max(...mine.map((r) => r.acceptedPerS))],
      medianCpuUsPerEvent: median(mine.flatMap((r) => r.cpuUsPerEvent ?? [])),
      medianCeilingCpuUsPerRow: median(mine.flatMap((r) => Math.min(r.ceilingCpuUsPerRow ?? Infinity, r.ceilingCompactCpuUsPerRow ?? Infinity)).filter(Number.isFinite)),
      /** Per run: events/s ÷ the highest ceiling of that run (either format). */
      ratios: mine.map((r) => r.acceptedPerS / ceilingOf(r)),
    }
  }))
  const comparisons = codes.flatMap(([code]) => transports.flatMap(([t]) => [['on', 'off'], ['on + keys', 'off']].flatMap(([a, b]) => {
    const [on, off] = [a, b].map((d) => summary.find((s) => s.code === code && s.mode === `${t} dedup ${d}`))
    if (!on || !off) return []
    const ratio = on.medianEventsPerS && off.medianEventsPerS ? (on.medianEventsPerS / off.medianEventsPerS).toFixed(2) : 'n/a'
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? 'n/a' : `${a - b} ms`)
    return [`| ${code} | ${t} | dedup ${a} ÷ ${b} | ${ratio} | ${diff(on.medianFreshnessP50Ms, off.medianFreshnessP50Ms)} | ${diff(on.medianFreshnessP99Ms, off.medianFreshnessP99Ms)} |`]
  })))
  const loads = runs.map((r) => r.load1)
  const md = [
    `# Ingestion benchmark (${new Date().toISOString()})`,
    '',
    `${options.runs} run(s) per mode of ${options.seconds} s, the modes interleaved run by run${options.baseline ? ` and each run on this branch and on the baseline (\`${options.baseline}\`), which goes first alternating` : ''}; trades posted as NDJSON (5,000 per request, ${concurrency} concurrent, closed loop) by a separate process;`,
    'freshness = probe trade sent → counted in `candles_1s`, polled every 100 ms in the measured process (so up to 100 ms late); ceiling = the same rows inserted straight into chDB in 50k-row INSERTs after the run, same process, as JSONEachRow and as JSONCompactEachRow alternating (older code: JSONEachRow only); "of ceiling" = events/s ÷ the higher of the two, per run; µs CPU: the whole measuring process (gateway, chDB; not the load generator) per accepted event over the load, and per row of the ceiling\'s INSERTs.',
    '`dedup on` is the default (a deduplication token on every INSERT; in Kafka mode the unit intent committed before each write); `dedup off` (`INGEST_DEDUPLICATION=off`) is the baseline it costs against; `+ keys`: every request also sends an `Idempotency-Key` (embedded: one INSERT per request and day; Kafka: keyed messages checked against `ingest_keys`).',
    '',
    '| code | mode | events/s (median) | min–max | of ceiling per run | freshness p50 | freshness p99 (median / worst) | lost | duplicates | ceiling JSONEachRow rows/s | ceiling compact rows/s | µs CPU per event (median) | ceiling µs CPU per row (cheaper format) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.code} | ${s.mode} | ${fmt(s.medianEventsPerS)} | ${s.spreadEventsPerS.map(fmt).join('–')} | ${s.ratios.map(pct).join(', ')} | ${s.medianFreshnessP50Ms} ms | ${s.medianFreshnessP99Ms} / ${s.worstFreshnessP99Ms} ms | ${s.lost} | ${s.duplicates} | ${fmt(s.medianCeilingRowsPerS)} | ${fmt(s.medianCeilingCompactRowsPerS)} | ${s.medianCpuUsPerEvent ?? 'n/a'} | ${s.medianCeilingCpuUsPerRow ?? 'n/a'} |`),
    '',
    ...(comparisons.length === 0 ? [] : ['| code | transport | compared | events/s ratio (medians) | freshness p50 difference | freshness p99 difference |', '|---|---|---|---|---|---|', ...comparisons, '']),
    `Load average (1 min) before each run: ${loads.join(' / ')} on ${machine().cpus} cores (a shared machine: above 2, other work competed for the cores).`,
    '',
  ].join('\n')
  const svg = barChartSvg('Ingestion, events/s (median)', 'ev/s', [
    ...summary.map((s) => ({ label: `${s.mode} via HTTP (${s.code})`, value: s.medianEventsPerS ?? 0 })),
    ...summary.map((s) => ({ label: `chDB ceiling (${s.mode}, ${s.code})`, value: Math.max(s.medianCeilingRowsPerS ?? 0, s.medianCeilingCompactRowsPerS ?? 0) })),
  ])
  const files = writeReport(options.name, { scenario: options.name, machine: machine(), options, summary, runs }, md, svg)
  return { summary, files }
}
