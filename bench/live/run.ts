// CLI for the live scenario (bench/live/scenario.ts): gateway, JSON baseline, clients and
// ingestion load in separate processes; writes bench/results/<date>-<name>.{json,md,svg}.
// Usage: npx tsx bench/live/run.ts [--clients 10000] [--channels 4] [--seconds 20]
//        [--events-per-s 100000] [--runs 3] [--name live] [--client go|node] [--client-procs N] [--cpu-prof DIR]
import { parseArgs } from 'node:util'
import { runLiveScenario } from './scenario.ts'

const { values: v } = parseArgs({
  options: {
    name: { type: 'string', default: 'live' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '10000' },
    channels: { type: 'string', default: '4' },
    'events-per-s': { type: 'string', default: '100000' },
    client: { type: 'string', default: 'go' },
    'client-procs': { type: 'string' },
    'tick-ms': { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
})
const { summary, files } = await runLiveScenario({
  name: v.name!, runs: Number(v.runs), seconds: Number(v.seconds), clients: Number(v.clients), channels: Number(v.channels),
  eventsPerS: Number(v['events-per-s']), client: v.client as 'go' | 'node', clientProcs: v['client-procs'] ? Number(v['client-procs']) : undefined,
  tickMs: v['tick-ms'] ? Number(v['tick-ms']) : undefined, cpuProfileDir: v['cpu-prof'],
})
console.log(JSON.stringify(summary.targets, null, 2))
console.log(`bench live: wrote ${files.join(', ')}`)
process.exit(0)
