import { createServer, type Server } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/eventually.ts'
import { ingest } from '../../test/support/gateway.ts'
import { gatewayForFile } from '../../test/support/gateway-file.ts'

// The real boot path: OTEL_EXPORTER_OTLP_ENDPOINT set → sdk-node + OTLP/HTTP exporter,
// received by a tiny OTLP/HTTP (JSON) collector on 127.0.0.1.
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: Record<string, unknown> }[] }

let receiver: Server | undefined
const spans: OtlpSpan[] = []
const paths: string[] = []
// Registered before the gateway's hooks, so the receiver closes after the gateway (and its exporter) stopped.
afterAll(async () => {
  if (receiver) await new Promise((r) => receiver!.close(r))
})
const file = gatewayForFile(async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      paths.push(req.url ?? '')
      let body = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      const data = JSON.parse(body.toString('utf8')) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }
      for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  receiver = server
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
})

describe('tracing', { timeout: 300_000 }, () => {
  it('one trace spans the ingest request, parsing, the batch and the ClickHouse insert', async () => {
    const res = await ingest(file.gw, 'trades', [{ id: 'tr1', ts: Date.now(), symbol: 'TRC', price: 1, qty: 1, side: 'buy' }], { headers: { 'x-request-id': 'trace-test-1' } })
    expect(res.status).toBe(200)
    const server = await eventually(() => {
      const s = spans.find((x) => x.name === 'POST /v1/events/:stream' && x.attributes?.some((a) => a.key === 'livehouse.request_id' && a.value.stringValue === 'trace-test-1'))
      expect(s).toBeDefined()
      return s!
    }, { timeoutMs: 60_000 })
    expect(paths.every((p) => p === '/v1/traces')).toBe(true)
    const trace = spans.filter((s) => s.traceId === server.traceId)
    const byName = (name: string) => {
      const found = trace.filter((s) => s.name === name)
      expect(found, `${name} in the trace`).toHaveLength(1)
      return found[0]
    }
    const parse = byName('ingest.parse')
    const write = byName('ingest.write')
    const batch = byName('ingest.batch')
    const insert = byName('clickhouse.insert')
    expect(parse.parentSpanId).toBe(server.spanId)
    expect(write.parentSpanId).toBe(server.spanId)
    expect(batch.parentSpanId).toBe(write.spanId)
    expect(insert.parentSpanId).toBe(batch.spanId)
    expect(insert.attributes).toContainEqual({ key: 'db.collection.name', value: { stringValue: 'trades' } })
    expect(server.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: 200 } })
  })
})
