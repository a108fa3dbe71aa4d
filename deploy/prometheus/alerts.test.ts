// The operator alerts validated by the real promtool (Debian's `prometheus` package; npm
// test installs it through scripts/promtool.mjs): the file loads, every alert has a unit
// test that fires it, and every series it reads is one Livehouse serves.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const dir = import.meta.dirname
const root = resolve(dir, '../..')

function promtool(): string {
  const found = process.env.LIVEHOUSE_TEST_PROMTOOL ?? spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim()
  if (!found) throw new Error('promtool is missing: `npm test` installs it (scripts/promtool.mjs), or apt-get install --no-install-recommends prometheus')
  return found
}
const run = (args: string[], cwd = dir) => spawnSync(promtool(), args, { cwd, encoding: 'utf8' })

interface RuleFile { groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[] }
const rules = parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as RuleFile
const alerts = rules.groups.flatMap((g) => g.rules)

function sources(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : []
  })
}

describe('operator alerts (deploy/prometheus/alerts.yml)', () => {
  it('pass promtool check rules and its unit tests', () => {
    const check = run(['check', 'rules', 'alerts.yml'])
    expect(check.status, check.stdout + check.stderr).toBe(0)
    expect(check.stdout).toContain(`SUCCESS: ${alerts.length} rules found`)
    const tests = run(['test', 'rules', 'alerts.rules-test.yml'])
    expect(tests.status, tests.stdout + tests.stderr).toBe(0)
    expect(tests.stdout).toContain('SUCCESS')
  })

  it('cover ingest lag, freshness, dead letters, WebSocket disconnect storms, the cache breaker and ClickHouse errors, each fired by a unit test', () => {
    const names = alerts.map((a) => a.alert)
    for (const wanted of ['LivehouseKafkaLagGrowing', 'LivehouseDataStale', 'LivehouseDeadLettersRising', 'LivehouseWebSocketDisconnectStorm', 'LivehouseCacheBreakerOpen', 'LivehouseClickHouseErrors']) {
      expect(names).toContain(wanted)
    }
    const spec = parse(readFileSync(join(dir, 'alerts.rules-test.yml'), 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }
    const fired = new Set(spec.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length).map((a) => a.alertname)))
    expect(names.filter((n) => !fired.has(n))).toEqual([])
  })

  it('read only series Livehouse serves', () => {
    const code = sources(join(root, 'api')).map((f) => readFileSync(f, 'utf8')).join('\n')
    const used = new Set(alerts.flatMap((a) => a.expr.match(/livehouse_\w+/g) ?? []).map((m) => m.replace(/_(bucket|count|sum)$/, '')))
    expect(used.size).toBeGreaterThan(10)
    expect([...used].filter((name) => !code.includes(`'${name}'`))).toEqual([])
  })

  it('a broken rule fails the check (the check can fail)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'livehouse-promtool-'))
    writeFileSync(join(tmp, 'bad.yml'), 'groups:\n  - name: bad\n    rules:\n      - alert: Bad\n        expr: sum by (instance (livehouse_ws_connections)\n')
    expect(run(['check', 'rules', 'bad.yml'], tmp).status).not.toBe(0)
    expect(execFileSync(promtool(), ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version \d+/)
  })
})
