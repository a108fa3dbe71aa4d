// What handing a body to a parse thread (ingest/parse-pool.ts) costs the main thread, against
// validating it there: main-thread busy time per body (event-loop utilisation, so the copy of the
// rows back is counted) for bodies of 1 to 5,000 trade lines, both ways interleaved per run, 4
// bodies in flight. The crossing point is where INGEST_PARSE_THREAD_MIN_CHARS belongs.
//   npx tsx bench/ingest/parse-handoff.ts [--runs 3]
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { createParsePool, type ParsePool } from '../../ingest/parse-pool.ts'
import { machine, writeReport } from '../lib/report.ts'
import { median } from '../lib/stats.ts'

const { values } = parseArgs({ options: { runs: { type: 'string' }, name: { type: 'string' } } })
const runs = Number(values.runs ?? 3)
const sizes = [1, 5, 10, 50, 100, 1000, 5000]
const nowMs = Date.now()
const line = (i: number) => JSON.stringify({ id: `h${i}`, ts: new Date(nowMs - 1000 - i).toISOString(), symbol: 'BTC-USD', price: '43250.12', qty: '0.015', side: i % 2 ? 'buy' : 'sell', venue: 'XNAS' })
const options = { maxLineBytes: 1 << 20, nowMs }

/** Main-thread busy µs per body over enough bodies for ~200k lines (at least 40 bodies). */
async function measure(pool: ParsePool, text: string, lines: number): Promise<number> {
  const bodies = Math.max(40, Math.round(200_000 / lines / 4) * 4)
  const before = performance.eventLoopUtilization()
  for (let i = 0; i < bodies; i += 4) {
    const answers = await Promise.all([0, 1, 2, 3].map(() => pool.parse('trades', text, options)))
    if (answers[0].rows.length !== lines) throw new Error(`expected ${lines} rows, got ${answers[0].rows.length}: ${JSON.stringify(answers[0].errors[0])}`)
  }
  return (performance.eventLoopUtilization(before).active * 1000) / bodies
}

const thread = createParsePool({ workers: 1, inlineBelowChars: 0 })
const main = createParsePool({ workers: 0, inlineBelowChars: 0 })
await thread.parse('trades', line(0), options) // the thread starts (and loads its code) outside the measurement
const results: { lines: number; chars: number; run: number; threadUs: number; mainUs: number }[] = []
for (let run = 0; run < runs; run++) {
  for (const lines of sizes) {
    const text = Array.from({ length: lines }, (_, i) => line(i)).join('\n')
    const order = run % 2 ? [main, thread] : [thread, main]
    const [a, b] = [await measure(order[0], text, lines), await measure(order[1], text, lines)]
    const [threadUs, mainUs] = run % 2 ? [b, a] : [a, b]
    results.push({ lines, chars: text.length, run, threadUs, mainUs })
  }
}
await thread.close()

const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(1))
const rows = sizes.map((lines) => {
  const mine = results.filter((r) => r.lines === lines)
  const t = median(mine.map((r) => r.threadUs))!
  const m = median(mine.map((r) => r.mainUs))!
  return { lines, chars: mine[0].chars, threadUs: t, mainUs: m, threadSpread: [Math.min(...mine.map((r) => r.threadUs)), Math.max(...mine.map((r) => r.threadUs))], mainSpread: [Math.min(...mine.map((r) => r.mainUs)), Math.max(...mine.map((r) => r.mainUs))] }
})
const md = [
  `# Parse hand-off: main-thread cost per body (${new Date().toISOString()})`,
  '',
  `\`npx tsx bench/ingest/parse-handoff.ts --runs ${runs}\`: trade bodies of each size validated 4 at a time by \`ingest/parse-pool.ts\` with one thread (the body goes to the thread, its rows come back by structured clone) and with none (validated on the main thread), interleaved per run. Main-thread µs per body = event-loop utilisation while they ran. Load average ${loadavg()[0].toFixed(1)} at the end; ${machine().cpus} cores.`,
  '',
  '| lines | characters | main thread µs per body, on a thread (min–max) | on the main thread (min–max) | saved per line µs |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.lines} | ${r.chars.toLocaleString('en-US')} | ${fmt(r.threadUs)} (${r.threadSpread.map(fmt).join('–')}) | ${fmt(r.mainUs)} (${r.mainSpread.map(fmt).join('–')}) | ${fmt((r.mainUs - r.threadUs) / r.lines)} |`),
  '',
]
const files = writeReport(values.name ?? 'parse-handoff', { scenario: 'parse-handoff', machine: machine(), runs, results, rows }, md.join('\n'))
console.log(md.join('\n'))
console.log(`wrote ${files.join(', ')}`)
