import { spawn } from 'node:child_process'
import { closeSync, readFileSync } from 'node:fs'

/**
 * Keeps secrets out of the environment of the process that runs analyst SQL: an engine bug or
 * a function that slips past the gate could read /proc/self/environ (issue 10, finding 1
 * returned AUTH_SECRET that way). When a secret is in the environment, the entry point
 * re-spawns itself without it and hands the secrets over on a pipe (fd 3); the first process
 * only forwards signals and mirrors the exit. It still holds them in its own environment,
 * which the same user could read through /proc/<ppid>/environ: docs/security.md says so.
 */
export const secretKeys = ['AUTH_SECRET', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_ANALYST_PASSWORD', 'CLICKHOUSE_ANALYST_SCOPED_PASSWORD', 'REDIS_URL']

const fdVariable = 'LIVEHOUSE_SECRETS_FD'

/**
 * In the gateway (the re-spawned process): the secrets handed over. In the first process: never
 * resolves; it runs the gateway as its child and exits with it. Without secrets: `{}` at once.
 */
export async function secretsOutOfEnvironment(env: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  if (env[fdVariable]) {
    const fd = Number(env[fdVariable])
    const secrets = JSON.parse(readFileSync(fd, 'utf8') || '{}') as Record<string, string>
    closeSync(fd)
    return secrets
  }
  const secrets = Object.fromEntries(secretKeys.filter((k) => env[k]).map((k) => [k, env[k]!]))
  if (!Object.keys(secrets).length) return {}
  const childEnv: NodeJS.ProcessEnv = { ...env, ...extra, [fdVariable]: '3' }
  for (const k of secretKeys) delete childEnv[k]
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: childEnv, stdio: ['inherit', 'inherit', 'inherit', 'pipe'] })
  ;(child.stdio[3] as NodeJS.WritableStream).end(JSON.stringify(secrets))
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15)))
  return new Promise(() => {})
}
