// Benchmark parts that run as scripts of their own (a load client, one ingest run, the UI
// bench): `node --import tsx <script>`, stopped on Ctrl-C, failing unless they exit 0.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { onInterrupt } from './interrupt.ts'

const root = resolve(import.meta.dirname, '../..')

/** Runs a TypeScript script to completion; stderr (and stdout with `inherit`) goes to ours. Resolves with its stdout. */
export function runTsx(script: string, args: string[], { inherit = false } = {}): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', inherit ? 'inherit' : 'pipe', 'inherit'] })
    const unregister = onInterrupt(() => child.kill('SIGTERM'))
    let out = ''
    child.stdout?.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      unregister()
      if (code === 0) resolveRun(out)
      else reject(new Error(`${script} exited with ${signal ?? code}:\n${out.slice(-2000)}`))
    })
  })
}

/** Runs a script that prints its result as its last stdout line (JSON) and returns that. */
export async function runTsxJson<T>(script: string, args: string[]): Promise<T> {
  const out = await runTsx(script, args)
  const last = out.trim().split('\n').at(-1) ?? ''
  if (!last.startsWith('{')) throw new Error(`${script} printed no JSON result:\n${out.slice(-2000)}`)
  return JSON.parse(last) as T
}
