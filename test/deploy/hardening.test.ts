// The analyst SQL port's deployment layer (issue 10, defence in depth): the gateway never runs
// as root and has a read-only root filesystem, and the ClickHouse server's row policies for
// scoped analysts are expressions ClickHouse's own parser accepts (checked with chDB).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Session } from 'chdb'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { quoteString } from '../../api/clickhouse/literal.ts'
import { internalTables } from '../../api/sql/tables.ts'

const root = resolve(import.meta.dirname, '../..')
const read = (p: string) => readFileSync(join(root, p), 'utf8')

describe('the gateway runs unprivileged', () => {
  it('Dockerfile: the final stage runs as the node user', () => {
    const stages = read('Dockerfile').split(/^FROM /m)
    expect(stages.at(-1)).toMatch(/^USER node$/m)
  })
  it('k8s: non-root, read-only root filesystem, no privilege escalation, only /tmp writable', () => {
    const docs = parseAllDocuments(read('deploy/k8s/gateway.yaml')).map((d) => d.toJS())
    const pod = docs.find((d) => d.kind === 'Deployment').spec.template.spec
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    const c = pod.containers.find((x: { name: string }) => x.name === 'gateway')
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
    expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/tmp'])
  })
  it('compose: read-only root filesystem with a tmpfs /tmp', () => {
    const gateway = parse(read('docker-compose.yml'), { merge: true }).services.gateway
    expect(gateway.read_only).toBe(true)
    expect(gateway.tmpfs).toEqual(['/tmp'])
  })
})

describe('row policies of the scoped analyst user (deploy/clickhouse/users.xml)', () => {
  const xml = read('deploy/clickhouse/users.xml')
  const user = /<analyst_scoped>\s*<password[\s\S]*?<\/analyst_scoped>/.exec(xml)![0]
  const filters = [...user.matchAll(/<(\w+)><filter>([^<]*)<\/filter><\/\1>/g)].map((m) => ({ table: m[1], filter: m[2].replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&') }))
  const dir = mkdtempSync(join(tmpdir(), 'livehouse-policies-'))
  const session = new Session(dir)
  afterAll(() => {
    session.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('filters every data table by symbol or shop, and shows no row of an internal table', () => {
    const byTable = Object.fromEntries(filters.map((f) => [f.table, f.filter]))
    for (const t of ['trades', 'candles_1s', 'candles_1m', 'candles_1h']) expect(byTable[t], t).toContain('livehouse_symbols')
    for (const t of ['orders', 'web_events', 'sales_1m', 'sales_1h', 'product_sales_1h', 'customer_stats', 'funnel_1m']) expect(byTable[t], t).toContain('livehouse_shops')
    for (const t of Object.keys(internalTables)) expect(byTable[t], t).toBe('0')
  })

  it('each filter is an expression ClickHouse parses', async () => {
    for (const { table, filter } of filters) {
      const r = await session.queryAsync(`SELECT formatQuery(${quoteString(`SELECT 1 FROM ${table} WHERE ${filter}`)})`, { format: 'TSVRaw' })
      expect(r.text(), table).toContain('WHERE')
    }
  })
})
