import { spawn } from 'node:child_process'
import { readSync } from 'node:fs'
import { Socket } from 'node:net'

/**
 * Keeps secrets out of the environment of the process that runs analyst SQL: an engine bug or
 * a function that slips past the gate could read /proc/self/environ (issue 10, finding 1
 * returned AUTH_SECRET that way). When a secret is in the environment, the entry point
 * re-spawns itself without it and hands the secrets over on a pipe (fd 3); the first process
 * only forwards signals and mirrors the exit, and the pipe staying open is how the gateway
 * knows it is alive (killed with SIGKILL, the gateway goes with it). The first process still
 * holds the secrets in its own environment, which the same user could read through
 * /proc/<ppid>/environ: docs/security.md says so.
 */
export const secretKeys = ['AUTH_SECRET', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_ANALYST_PASSWORD', 'CLICKHOUSE_ANALYST_SCOPED_PASSWORD', 'REDIS_URL']

const fdVariable = 'LIVEHOUSE_SECRETS_FD'

/**
 * In the gateway (the re-spawned process): the secrets handed over. In the first process: never
 * resolves; it runs the gateway as its child and exits with it. Without secrets: `{}` at once.
 */
export async function secretsOutOfEnvironment(env: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  if (env[fdVariable]) return receive(Number(env[fdVariable]))
  const secrets = Object.fromEntries(secretKeys.filter((k) => env[k]).map((k) => [k, env[k]!]))
  if (!Object.keys(secrets).length) return {}
  const childEnv: NodeJS.ProcessEnv = { ...env, ...extra, [fdVariable]: '3' }
  for (const k of secretKeys) delete childEnv[k]
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: childEnv, stdio: ['inherit', 'inherit', 'inherit', 'pipe'] })
  // One line of JSON; the pipe then stays open for as long as this process lives.
  ;(child.stdio[3] as NodeJS.WritableStream).write(`${JSON.stringify(secrets)}\n`)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15)))
  return new Promise(() => {})
}

function receive(fd: number): Record<string, string> {
  const bytes: number[] = []
  const one = Buffer.alloc(1)
  // Synchronous at start-up, before anything else runs: the line is already in the pipe or on its way.
  for (;;) {
    let n: number
    try {
      n = readSync(fd, one, 0, 1, null)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
      continue
    }
    if (n !== 1 || one[0] === 0x0a) break
    bytes.push(one[0])
  }
  // The launcher gone (even by SIGKILL) closes the pipe: go with it, as a process killed with it would.
  const pipe = new Socket({ fd, readable: true, writable: false })
  pipe.on('end', () => process.kill(process.pid, 'SIGKILL'))
  pipe.on('error', () => process.kill(process.pid, 'SIGKILL'))
  pipe.resume()
  pipe.unref()
  return JSON.parse(Buffer.from(bytes).toString('utf8') || '{}') as Record<string, string>
}
