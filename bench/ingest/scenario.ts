// The ingestion scenario: several runs per mode (embedded INSERTs, Kafka) with deduplication on
// and off, each in its own process and interleaved run by run, so on and off see the same machine;
// throughput, freshness and zero loss, against the raw chDB insert ceiling.
import { resolve } from 'node:path'
import { barChartSvg, machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { runTsxJson } from '../lib/child.ts'

interface IngestRun {
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
  ceilingRowsPerS: number
}

const runMode = (args: string[]) => runTsxJson<IngestRun>(resolve(import.meta.dirname, 'mode.ts'), args)

export async function ingestScenario(options: { runs: number; seconds: number; kafkaBrokers?: string; name: string }) {
  const runs: IngestRun[] = []
  const transports: [string, string[]][] = [['embedded', []]]
  if (options.kafkaBrokers) transports.push(['kafka', ['--kafka', options.kafkaBrokers]])
  const modes: [string, string[]][] = transports.flatMap(([t, args]): [string, string[]][] => [
    [`${t} dedup on`, [...args, '--dedup', 'on']],
    [`${t} dedup off`, [...args, '--dedup', 'off']],
    [`${t} dedup on + keys`, [...args, '--dedup', 'on', '--keys']],
  ])
  const modeOf = (r: IngestRun) => `${r.mode} dedup ${r.dedup}${r.keys ? ' + keys' : ''}`
  for (let i = 0; i < options.runs; i++) {
    for (const [mode, args] of modes) {
      console.log(`bench ingest: ${mode} run ${i + 1}/${options.runs} (${options.seconds} s)…`)
      const run = await runMode([...args, '--seconds', String(options.seconds)])
      console.log(`  ${run.acceptedPerS.toLocaleString('en-US')} events/s, freshness p50 ${run.freshness.p50Ms} ms p99 ${run.freshness.p99Ms} ms, lost ${run.lost}, ceiling ${run.ceilingRowsPerS.toLocaleString('en-US')} rows/s`)
      runs.push(run)
    }
  }
  const summary = modes.map(([mode]) => {
    const mine = runs.filter((r) => modeOf(r) === mode)
    return {
      mode,
      runs: mine.length,
      medianEventsPerS: median(mine.map((r) => r.acceptedPerS)),
      medianFreshnessP50Ms: median(mine.map((r) => r.freshness.p50Ms ?? NaN)),
      medianFreshnessP99Ms: median(mine.map((r) => r.freshness.p99Ms ?? NaN)),
      worstFreshnessP99Ms: Math.max(...mine.map((r) => r.freshness.p99Ms ?? 0)),
      lost: mine.reduce((n, r) => n + r.lost, 0),
      duplicates: mine.reduce((n, r) => n + r.duplicates, 0),
      medianCeilingRowsPerS: median(mine.map((r) => r.ceilingRowsPerS)),
      spreadEventsPerS: [Math.min(...mine.map((r) => r.acceptedPerS)), Math.max(...mine.map((r) => r.acceptedPerS))],
    }
  })
  const md = [
    `# Ingestion benchmark (${new Date().toISOString()})`,
    '',
    `${options.runs} run(s) per mode of ${options.seconds} s, the modes interleaved run by run; trades posted as NDJSON (5,000 per request, 4 concurrent) by a separate process;`,
    'freshness = probe trade sent → counted in `candles_1s`, polled every 100 ms in the measured process (so up to 100 ms late); ceiling = the same rows inserted straight into chDB in 50k-row INSERTs, same run.',
    '`dedup on` is the default (a deduplication token on every INSERT; in Kafka mode the unit intent committed before each write); `dedup off` (`INGEST_DEDUPLICATION=off`) is the baseline it costs against; `+ keys`: every request also sends an `Idempotency-Key` (embedded: one INSERT per request and day; Kafka: keyed messages checked against `ingest_keys`).',
    '',
    '| mode | events/s (median) | min–max | freshness p50 | freshness p99 (median / worst) | lost | duplicates | chDB insert ceiling rows/s |',
    '|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.mode} | ${s.medianEventsPerS?.toLocaleString('en-US')} | ${s.spreadEventsPerS.map((n) => n.toLocaleString('en-US')).join('–')} | ${s.medianFreshnessP50Ms} ms | ${s.medianFreshnessP99Ms} / ${s.worstFreshnessP99Ms} ms | ${s.lost} | ${s.duplicates} | ${s.medianCeilingRowsPerS?.toLocaleString('en-US')} |`),
    '',
    '| transport | compared | events/s ratio (medians) | freshness p50 difference | freshness p99 difference |',
    '|---|---|---|---|---|',
    ...transports.flatMap(([t]) => [['on', 'off'], ['on + keys', 'off']].map(([a, b]) => {
      const [on, off] = [a, b].map((d) => summary.find((s) => s.mode === `${t} dedup ${d}`)!)
      const ratio = on.medianEventsPerS && off.medianEventsPerS ? (on.medianEventsPerS / off.medianEventsPerS).toFixed(2) : 'n/a'
      const diff = (a: number | null, b: number | null) => (a === null || b === null ? 'n/a' : `${a - b} ms`)
      return `| ${t} | dedup ${a} ÷ ${b} | ${ratio} | ${diff(on.medianFreshnessP50Ms, off.medianFreshnessP50Ms)} | ${diff(on.medianFreshnessP99Ms, off.medianFreshnessP99Ms)} |`
    })),
    '',
  ].join('\n')
  const svg = barChartSvg('Ingestion, events/s (median)', 'ev/s', [
    ...summary.map((s) => ({ label: `${s.mode} via HTTP`, value: s.medianEventsPerS ?? 0 })),
    ...summary.map((s) => ({ label: `chDB ceiling (${s.mode} run)`, value: s.medianCeilingRowsPerS ?? 0 })),
  ])
  const files = writeReport(options.name, { scenario: options.name, machine: machine(), options, summary, runs }, md, svg)
  return { summary, files }
}
