// Preloaded into the gateway (NODE_OPTIONS=--import, since --cpu-prof is not allowed there)
// by `npm run bench -- --scenario history --cpu-prof <dir>` (which passes the dir as BENCH_CPU_PROF): writes a V8 CPU profile on exit.
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.env.BENCH_CPU_PROF
if (dir) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 200 })
  session.post('Profiler.start')
  // In-process inspector messages are answered synchronously, so this works in 'exit'.
  process.on('exit', () => session.post('Profiler.stop', (err, { profile }) => {
    if (!err) writeFileSync(join(dir, `gateway-${process.pid}.cpuprofile`), JSON.stringify(profile))
  }))
}
