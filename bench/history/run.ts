// `npm run bench:history [-- --runs N --seconds S --concurrency C]`: the historical API benchmark
// (bench/history/scenario.ts) on its own; `npm run bench -- --scenario history` calls it too.
// BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the gateway there; BENCH_LOG_LEVEL sets the
// gateway's log level (warn).
import { parseArgs } from 'node:util'
import { historyScenario } from './scenario.ts'

const { values } = parseArgs({ options: { runs: { type: 'string' }, seconds: { type: 'string' }, concurrency: { type: 'string' }, name: { type: 'string' } } })
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v))
const profDir = process.env.BENCH_CPU_PROF
const { summary, files } = await historyScenario({
  name: values.name ?? 'history',
  runs: num(values.runs ?? process.env.BENCH_RUNS, 3),
  seconds: num(values.seconds ?? process.env.BENCH_SECONDS, 8),
  concurrency: num(values.concurrency ?? process.env.BENCH_CONCURRENCY, 32),
  gatewayEnv: {
    ...(process.env.BENCH_LOG_LEVEL && { LOG_LEVEL: process.env.BENCH_LOG_LEVEL }),
    ...(profDir && { NODE_OPTIONS: `--import=${import.meta.dirname}/cpu-profile.mjs`, BENCH_CPU_PROF: profDir }),
  },
})
console.log(`bench history: targets ${JSON.stringify(summary.met)}; wrote ${files.join(', ')}`)
process.exit(0)
