// The environment layer of the analyst port's defence (issue 10, finding 1): the process that
// runs analyst SQL has no secret in its environment, so even a read of /proc/self/environ that
// slipped past the statement gate would find none. The gateway runs as the real entry point.
import { readdirSync, readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { testSecret, tokenFor, type TestGateway } from '../../test/support/gateway.ts'
import { gatewayProcessesForFile } from '../../test/support/gateway-file.ts'
import { getFreePort } from '../../test/support/ports.ts'
import { eventually } from '../../test/support/eventually.ts'

const processes = gatewayProcessesForFile()
let gw: TestGateway
let sqlPort: number

beforeAll(async () => {
  sqlPort = await getFreePort()
  gw = await processes.start({ SQL_PORT: String(sqlPort), LOG_LEVEL: 'info' })
}, 300_000) // a gateway process: minutes on a loaded machine (startGateway allows it 180 s)

/** Processes whose environment names this gateway's data directory: the launcher and the gateway. */
function processesOfThisGateway(): { pid: string; env: string }[] {
  const found: { pid: string; env: string }[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1')
      if (env.split('\0').includes(`DATA_DIR=${gw.dataDir}`)) found.push({ pid, env })
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found
}

describe('secrets out of the SQL process environment', () => {
  it('the gateway process has no AUTH_SECRET in /proc/<pid>/environ, yet verifies tokens signed with it', async () => {
    const gateway = processesOfThisGateway().filter((p) => p.env.split('\0').includes('LIVEHOUSE_SECRETS_FD=3'))
    expect(gateway).toHaveLength(1)
    expect(gateway[0].env).not.toContain(testSecret)
    expect(gateway[0].env).not.toMatch(/(^|\0)AUTH_SECRET=/)
    const r = await fetch(`http://127.0.0.1:${sqlPort}/?query=SELECT+1`, { headers: { 'X-ClickHouse-Key': await tokenFor(['analyst']) } })
    expect([r.status, await r.text()]).toEqual([200, '1\n'])
  })
})

// Starts a second gateway process inside the test: above vitest's 60 s default per test.
describe('the launcher and the gateway live and die together', { timeout: 300_000 }, () => {
  it('a launcher killed with SIGKILL takes the gateway with it (nothing keeps the port or the data directory)', async () => {
    const other = await processes.start({})
    const mine = () => {
      const found: string[] = []
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`DATA_DIR=${other.dataDir}`)) found.push(pid)
        } catch {
          // Gone, or not ours to read.
        }
      }
      return found
    }
    expect(mine()).toHaveLength(2)
    await other.stop(true)
    await eventually(() => expect(mine()).toEqual([]), { timeoutMs: 60_000 })
  })
})

describe('the statement log (issue 13 item 4)', () => {
  it('logs every statement with its user, refused ones too', async () => {
    const token = await tokenFor(['analyst'])
    for (const q of ['SELECT 42', 'SELECT * FROM dashboards']) {
      await (await fetch(`http://127.0.0.1:${sqlPort}/`, { method: 'POST', body: q, headers: { 'X-ClickHouse-Key': token } })).text()
    }
    await eventually(() => {
      const entries = gw.output().split('\n').filter((l) => l.includes('"sql statement"')).map((l) => JSON.parse(l) as { user: string; query: string; status: number; code?: number })
      expect(entries).toEqual(expect.arrayContaining([
        expect.objectContaining({ user: 'test-analyst', query: 'SELECT 42', status: 200 }),
        expect.objectContaining({ user: 'test-analyst', query: 'SELECT * FROM dashboards', status: 403, code: 497 }),
      ]))
    })
  })
})
