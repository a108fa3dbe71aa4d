// Child processes of the live benchmark: each runs under `bash -c 'ulimit -n …; exec node'`
// (thousands of sockets need descriptors) and talks by JSON lines on stdout / stdin.
import { setTimeout as sleep } from 'node:timers/promises'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { onInterrupt, stopOnInterrupt } from '../lib/interrupt.ts'

export const root = resolve(import.meta.dirname, '../..')
const fdLimit = 20_000

export interface Proc {
  child: ChildProcess
  pid: number
  /** The next stdout JSON line with this `event` (or any JSON line when omitted). */
  next(event?: string, timeoutMs?: number): Promise<any>
  say(line: string): void
  output(): string
  stop(signal?: NodeJS.Signals): Promise<void>
}

export function spawnNode(script: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Proc {
  return spawnProc([process.execPath, ...nodeArgs, '--import', 'tsx', script, ...args], env, script)
}

/** Any program (`argv[0]`), with the same descriptor limit and line protocol; `label` names it in errors. */
export function spawnProc(argv: string[], env: Record<string, string> = {}, label = argv[0]): Proc {
  const quoted = argv.map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = spawn('bash', ['-c', `ulimit -n ${fdLimit} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${quoted}`], {
    cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  const lines: any[] = []
  let waiter: (() => void) | undefined
  createInterface({ input: child.stdout! }).on('line', (line) => {
    out = (out + line + '\n').slice(-20_000)
    if (line.startsWith('{')) {
      try {
        lines.push(JSON.parse(line))
        waiter?.()
      } catch { /* a log line that happens to start with { */ }
    }
  })
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)))
  const exited = new Promise<void>((r) => child.once('exit', () => (waiter?.(), r())))
  const unregister = onInterrupt(() => proc.stop())
  void exited.then(unregister)
  const proc: Proc = {
    child,
    pid: child.pid!,
    async next(event, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const i = lines.findIndex((l) => !event || l.event === event)
        if (i >= 0) return lines.splice(i, 1)[0]
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before "${event}":\n${out.slice(-3000)}`)
        if (Date.now() > deadline) throw new Error(`${label}: no "${event}" in ${timeoutMs} ms:\n${out.slice(-3000)}`)
        await new Promise<void>((r) => ((waiter = r), setTimeout(r, 500)))
      }
    },
    say: (line) => void child.stdin!.write(line + '\n'),
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal)
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(killer)
      }
    },
  }
  return proc
}

/** A process and its descendants, from /proc (each thread's `children` list). */
export function processTree(pid: number): number[] {
  const out = [pid]
  for (let i = 0; i < out.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim()
        if (kids) out.push(...kids.split(/\s+/).map(Number))
      }
    } catch { /* gone */ }
  }
  return out
}

/**
 * CPU seconds (user + system) a process and its descendants have used so far, from /proc. The
 * gateway's entry point re-spawns itself without secrets in its environment (api/sql/secret-env.ts):
 * the process a bench starts is a launcher, the gateway its child, and both count.
 */
export function cpuSeconds(pid: number): number {
  let total = 0
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')
      total += (Number(fields[11]) + Number(fields[12])) / 100
    } catch {
      if (p === pid) return NaN
    }
  }
  return total
}

/**
 * CPU seconds per thread name (digits at the end dropped: pool threads count as one) over a
 * process tree: which of Node's main thread, chDB's merges (MergeMutate), its background schedule
 * pool (refreshable views) etc. the time went to.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const p of processTree(pid)) {
    let tasks: string[] = []
    try { tasks = readdirSync(`/proc/${p}/task`) } catch { continue }
    for (const t of tasks) {
      try {
        const stat = readFileSync(`/proc/${p}/task/${t}/stat`, 'utf8')
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d:]+$/, '') || '?'
        const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
        out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100)
      } catch { /* thread gone */ }
    }
  }
  return out
}

/**
 * The cores a process tree uses over the next `seconds` (user + system time ÷ wall time), and per
 * thread group those above `minCores`. Threads started during the window count from zero.
 */
export async function coresOver(pid: number, seconds: number, minCores = 0.001): Promise<{ cores: number; threads: Record<string, number> }> {
  const [c0, t0] = [cpuSeconds(pid), threadCpuSeconds(pid)]
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const [c1, t1] = [cpuSeconds(pid), threadCpuSeconds(pid)]
  const threads = Object.fromEntries([...t1].map(([k, v]) => [k, Number(((v - (t0.get(k) ?? 0)) / seconds).toFixed(3))] as const).filter(([, v]) => v > minCores))
  return { cores: Number(((c1 - c0) / seconds).toFixed(3)), threads }
}

export interface GatewayProc extends Proc {
  url: string
  port: number
}

/**
 * The real gateway (`api/main.ts`) of `checkout` on `dataDir`: free ports, no demo, warnings only,
 * unless `env` says otherwise. It is up once its output says `Livehouse is up`.
 */
export function spawnGateway(dataDir: string, env: Record<string, string> = {}, { checkout = root, nodeArgs = [] as string[] } = {}): Proc {
  return spawnNode(join(checkout, 'api/main.ts'), [], { PORT: '0', SQL_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO_RATE: '0', LOG_LEVEL: 'warn', ...env }, nodeArgs)
}

/**
 * The real gateway (`api/main.ts`) on a fresh data directory, nothing but the live tick tuned.
 * `checkout`: another checkout's gateway (a same-run baseline of older code; bench/quiet).
 */
export async function startGatewayProc(env: Record<string, string>, nodeArgs: string[] = [], checkout = root): Promise<GatewayProc & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'livehouse-bench-live-'))
  const p = spawnGateway(dataDir, env, { checkout, nodeArgs })
  const deadline = Date.now() + 90_000
  let m: RegExpExecArray | null = null
  while (!(m = /Livehouse is up: (http:\/\/\S+)/.exec(p.output()))) {
    if (p.child.exitCode !== null || Date.now() > deadline) {
      await p.stop()
      rmSync(dataDir, { recursive: true, force: true })
      throw new Error(`gateway did not start:\n${p.output()}`)
    }
    await sleep(200)
  }
  const url = m[1].replace('localhost', '127.0.0.1')
  const stop = p.stop
  return stopOnInterrupt({ ...p, url, port: Number(new URL(url).port), dataDir, stop: async (s?: NodeJS.Signals) => (await stop(s), rmSync(dataDir, { recursive: true, force: true })) })
}

/**
 * The Go load client (bench/live/go-client), built with the machine's `go` into the
 * checkout's own cache on first use and whenever its source is newer than the binary.
 */
export function ensureGoClient(): string {
  const dir = join(root, 'bench/live/go-client')
  const bin = join(root, '.cache/bin/live-client')
  const newest = Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs))
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return bin
  console.log('bench live: building the Go load client (bench/live/go-client)…')
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: dir, stdio: 'inherit' })
  return bin
}
