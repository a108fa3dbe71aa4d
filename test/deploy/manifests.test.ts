import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { configSchema, loadConfig } from '../../api/config.ts'

// The deploy artifacts, parsed and held against the app's configuration schema:
// every variable they set exists, ports agree with PORT/SQL_PORT, images and health checks are there.
const root = resolve(import.meta.dirname, '../..')
const schemaKeys = new Set(Object.keys(configSchema.shape))
const read = (p: string) => readFileSync(join(root, p), 'utf8')

type Env = Record<string, string>
/** Substitutes ${VAR:-default} / ${VAR:?msg} the way compose does with an empty shell environment. */
const interpolate = (v: unknown, env: Env = {}): string =>
  String(v).replace(/\$\{(\w+)(?::?([-?])([^}]*))?\}/g, (_, k: string, op: string, arg: string) => env[k] ?? (op === '-' ? arg : op === '?' ? 'required' : ''))

interface ComposeService {
  image?: string; build?: unknown; environment?: Env; ports?: string[]; labels?: Env
  healthcheck?: { test: string[] | string }; depends_on?: Record<string, { condition: string }>; volumes?: string[]
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> }
  const services = compose.services
  const app = Object.entries(services).filter(([, s]) => s.labels?.['livehouse.role'])

  it('runs ClickHouse, Kafka in KRaft mode, Redis, ingest and gateway, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(['clickhouse', 'gateway', 'ingest', 'kafka', 'redis'])
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toBeTruthy()
      expect(s.healthcheck?.test, name).toBeTruthy()
    }
    expect(services.kafka.environment!.KAFKA_PROCESS_ROLES).toBe('broker,controller')
    expect(services.kafka.environment).not.toHaveProperty('KAFKA_ZOOKEEPER_CONNECT')
    expect(app.map(([n]) => n).sort()).toEqual(['gateway', 'ingest'])
    for (const [, s] of app) expect(s.build).toBe('.')
  })

  it('keeps data in named volumes and mounts the ClickHouse server config', () => {
    for (const name of ['clickhouse', 'kafka', 'redis']) {
      const named = services[name].volumes!.map((v) => v.split(':')[0]).filter((v) => !v.startsWith('.'))
      expect(named.length, name).toBeGreaterThan(0)
      for (const v of named) expect(compose.volumes).toHaveProperty(v)
    }
    const mounts = services.clickhouse.volumes!.filter((v) => v.startsWith('./'))
    expect(mounts).toContain('./deploy/clickhouse/users.xml:/etc/clickhouse-server/users.d/livehouse.xml:ro')
    for (const m of mounts) expect(() => read(m.split(':')[0])).not.toThrow()
  })

  it.each(['ingest', 'gateway'])('%s: sets only variables of api/config.ts, valid ones, with ports and health check matching PORT/SQL_PORT', (name) => {
    const s = services[name]
    const env = Object.fromEntries(Object.entries(s.environment!).map(([k, v]) => [k, interpolate(v, { LIVEHOUSE_AUTH_SECRET: 'x'.repeat(64) })]))
    for (const key of Object.keys(env)) expect(schemaKeys, `${name}: ${key}`).toContain(key)
    const config = loadConfig(env) // throws naming the key on a bad value
    expect(config.embedded).toBe(false)
    expect(config.KAFKA_BROKERS).toEqual(['kafka:9092'])
    const containerPorts = s.ports!.map((p) => Number(String(p).split(':').at(-1)))
    expect(containerPorts).toContain(config.PORT)
    for (const p of containerPorts) expect([config.PORT, config.SQL_PORT]).toContain(p)
    if (config.SQL_PORT) expect(containerPorts).toContain(config.SQL_PORT)
    const test = [s.healthcheck!.test].flat().join(' ')
    expect(test).toMatch(new RegExp(`127\\.0\\.0\\.1:${config.PORT}/(ready|health)\\b`))
    expect(Object.values(s.depends_on ?? {}).every((d) => d.condition === 'service_healthy')).toBe(true)
    // The services it points at exist in the file.
    expect(services).toHaveProperty(new URL(config.CLICKHOUSE_URL!).hostname)
    expect(services).toHaveProperty(new URL(config.REDIS_URL!).hostname)
    expect(services).toHaveProperty(config.KAFKA_BROKERS[0].split(':')[0])
  })

  it('builds the image the services run from a Dockerfile that installs with npm ci and builds the UI on Node 20', () => {
    const dockerfile = read('Dockerfile')
    expect(dockerfile).toMatch(/^FROM node:20\b/m)
    expect(dockerfile).toMatch(/RUN npm ci\b/)
    expect(dockerfile).toMatch(/npm run build/)
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health/)
    expect(dockerfile).toMatch(/api\/main\.ts/)
    expect(read('.dockerignore')).toMatch(/^node_modules$/m)
  })
})

interface K8sDoc { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Env; stringData?: Env }

describe('deploy/k8s', () => {
  const dir = join(root, 'deploy/k8s')
  const docs: K8sDoc[] = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
      expect(d.errors, f).toEqual([])
      return d.toJS() as K8sDoc
    }))
  const find = (kind: string, name: string) => {
    const d = docs.find((x) => x.kind === kind && x.metadata.name === name)
    expect(d, `${kind}/${name}`).toBeDefined()
    return d!
  }
  const configMap = find('ConfigMap', 'livehouse-config')
  const secret = find('Secret', 'livehouse-secrets')

  it('lists every manifest in kustomization.yaml', () => {
    const k = parse(read('deploy/k8s/kustomization.yaml')) as { resources: string[] }
    expect(k.resources.sort()).toEqual(readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort())
  })

  it('ConfigMap and Secret hold only variables of api/config.ts', () => {
    for (const key of [...Object.keys(configMap.data!), ...Object.keys(secret.stringData!)]) expect(schemaKeys, key).toContain(key)
  })

  it.each(['livehouse-gateway', 'livehouse-ingest'])('%s: valid config, ports, probes on /ready and /health, image, and a Service in front', (name) => {
    const dep = find('Deployment', name)
    const [container] = dep.spec.template.spec.containers
    expect(container.image).toBeTruthy()
    const env: Env = { ...configMap.data, ...secret.stringData }
    for (const ref of container.envFrom) expect(ref.configMapRef?.name ?? ref.secretRef?.name).toMatch(/^livehouse-(config|secrets)$/)
    for (const e of container.env as { name: string; value: string }[]) {
      expect(schemaKeys, e.name).toContain(e.name)
      env[e.name] = e.value
    }
    const config = loadConfig(env)
    const ports = new Map<string, number>(container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]))
    expect(ports.get('http')).toBe(config.PORT)
    expect([...ports.values()].every((p) => p === config.PORT || p === config.SQL_PORT)).toBe(true)
    if (config.SQL_PORT) expect(ports.get('sql')).toBe(config.SQL_PORT)
    const portOf = (p: string | number) => (typeof p === 'number' ? p : ports.get(p))
    expect(container.readinessProbe.httpGet.path).toBe('/ready')
    expect(portOf(container.readinessProbe.httpGet.port)).toBe(config.PORT)
    expect(container.livenessProbe.httpGet.path).toBe('/health')
    expect(portOf(container.livenessProbe.httpGet.port)).toBe(config.PORT)
    expect(dep.spec.selector.matchLabels).toEqual(expect.objectContaining({ 'app.kubernetes.io/name': name }))
    const svc = find('Service', name)
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels)
    for (const p of svc.spec.ports) expect(portOf(p.targetPort), `${name} targetPort ${p.targetPort}`).toBeDefined()
    const annotations = dep.spec.template.metadata.annotations
    expect(Number(annotations['prometheus.io/port'])).toBe(config.PORT)
    expect(annotations['prometheus.io/path']).toBe('/metrics')
  })

  it('scales the gateway with an HPA and references ClickHouse, Kafka and Redis by the names the config uses', () => {
    const hpa = find('HorizontalPodAutoscaler', 'livehouse-gateway')
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'livehouse-gateway' })
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2)
    const config = loadConfig({ ...configMap.data, ...secret.stringData })
    for (const host of [new URL(config.CLICKHOUSE_URL!).hostname, new URL(config.REDIS_URL!).hostname, config.KAFKA_BROKERS[0].split(':')[0]]) {
      expect(find('Service', host)).toBeDefined()
    }
  })
})
