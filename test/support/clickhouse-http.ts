// Test support: ClickHouse's HTTP interface over an embedded chDB data directory, writable,
// for tests that run several gateway replicas on one ClickHouse (chDB allows one data
// directory per process; the analysts' SQL port is read-only). Enough of the interface for
// @clickhouse/client: the query in the URL and/or body, param_*, settings, FORMAT, /ping,
// `Code: N. DB::Exception` errors. Not for production.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { Readable } from 'node:stream'
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'
import { createClickHouse } from '../../api/clickhouse/client.ts'

// URL keys the HTTP interface consumes itself; any other is a setting.
const httpKeys = new Set(['query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check', 'user', 'password',
  'compress', 'decompress', 'enable_http_compression', 'wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms',
  'client_protocol_version', 'output_format_json_quote_64bit_integers_for_http', 'cancel_http_readonly_queries_on_client_close', 'role', 'quota_key'])

export interface ClickHouseHttp {
  url: string
  close(): Promise<void>
}

/**
 * Serves `dataDir` over chDB connections: `lanes` per distinct set of settings, since chDB
 * keeps a statement's settings on its connection's session (a server applies them to that
 * statement only): a catalog query's readonly=1 must not make the next INSERT read-only.
 */
export async function startClickHouseHttp(dataDir: string, lanes = 2): Promise<ClickHouseHttp> {
  const pools = new Map<string, { clients: ClickHouseClient[]; next: number }>()
  const clientFor = (settings: Record<string, string>) => {
    const key = JSON.stringify(Object.entries(settings).sort())
    let pool = pools.get(key)
    if (!pool) pools.set(key, (pool = { clients: Array.from({ length: lanes }, () => createClickHouse({ dataDir }, 'ops')), next: 0 }))
    return pool.clients[pool.next++ % lanes]
  }
  const server: Server = createServer((req, res) => {
    void handle(req, clientFor).then(
      ({ status, headers, body }) => {
        res.writeHead(status, headers)
        if (typeof body === 'string') res.end(body)
        else body.pipe(res)
      },
      (e) => res.writeHead(500).end(String(e)),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      await new Promise((r) => (server.closeAllConnections(), server.close(r)))
      await Promise.all([...pools.values()].flatMap((p) => p.clients.map((c) => c.close())))
    },
  }
}

async function handle(req: IncomingMessage, clientFor: (settings: Record<string, string>) => ClickHouseClient): Promise<{ status: number; headers: Record<string, string>; body: string | Readable }> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/ping' || (req.method === 'GET' && !url.searchParams.has('query'))) return { status: 200, headers: {}, body: 'Ok.\n' }
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks).toString('utf8')
  const params: Record<string, string> = {}
  const settings: Record<string, string> = {}
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('param_')) params[k.slice(6)] = v.replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0' })[c] ?? c)
    else if (!httpKeys.has(k)) settings[k] = v
  }
  const query = [url.searchParams.get('query'), body].filter(Boolean).join('\n')
  const format = /\bFORMAT\s+(\w+)\s*;?\s*$/i.exec(query)?.[1] ?? url.searchParams.get('default_format') ?? 'TabSeparated'
  try {
    const result = await clientFor(settings).exec({ query, query_params: params, clickhouse_settings: { ...settings, default_format: format } as ClickHouseSettings })
    return { status: 200, headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-format': format, 'x-clickhouse-summary': '{}' }, body: result.stream as Readable }
  } catch (e) {
    const err = e as { code?: string; message?: string }
    const code = Number(err.code) || 1002
    const message = String(err.message ?? 'unknown error').replace(/^Code: \d+\. DB::Exception: /, '')
    return { status: 500, headers: { 'x-clickhouse-exception-code': String(code) }, body: `Code: ${code}. DB::Exception: ${message}\n` }
  }
}
