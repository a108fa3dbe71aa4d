import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'
import { Readable } from 'node:stream'
import { parseAstDump } from './ast.ts'
import type { EngineQuery, EngineResult, SqlEngine } from './engine.ts'
import { toSqlError } from './errors.ts'
import { createFunctionPolicy, type FunctionRow } from './functions.ts'
import { checkStatement, precheck } from './gate.ts'
import { engineSettings, type SqlCaps } from './settings.ts'

/**
 * The analyst port in front of a ClickHouse server (distributed mode): the same gate, then
 * the statement runs on the server as the analyst connection's user, whose readonly profile,
 * quotas and row policies (deploy/clickhouse/users.xml) are the server's to enforce. The
 * server cancels a read-only query when its client goes away, and the abort signal is that.
 */
export async function createServerEngine(o: { clickhouse: ClickHouseClient; scoped?: ClickHouseClient; caps: SqlCaps }): Promise<SqlEngine> {
  const ch = o.clickhouse
  const text = async (query: string, params?: Record<string, unknown>, settings?: ClickHouseSettings) =>
    (await ch.query({ query, format: 'TabSeparatedRaw', query_params: params, clickhouse_settings: settings })).text()
  const json = async <T>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>()
  const functions = createFunctionPolicy(
    await json<FunctionRow>('SELECT name, is_aggregate, case_insensitive, alias_to, categories FROM system.functions'),
    (await json<{ name: string }>('SELECT name FROM system.aggregate_function_combinators')).map((r) => r.name),
  )
  const [version, revision] = (await text('SELECT version(), revision()')).trim().split('\t')

  return {
    version,
    revision: Number(revision),
    rowPolicies: Boolean(o.scoped),
    async run(q: EngineQuery): Promise<EngineResult> {
      try {
        const params = Object.fromEntries(Object.entries(q.params).map(([k, v]) => [k, unescapeParam(v)]))
        // A scoped token runs as the user whose row policies read these two settings (deploy/clickhouse/users.xml).
        const client = q.scope ? o.scoped : ch
        if (!client) throw new Error('no ClickHouse user with row policies is configured')
        const scope = q.scope ? { livehouse_symbols: q.scope.symbols, livehouse_shops: q.scope.shops } : {}
        const settings = { ...engineSettings(q.settings, o.caps, `livehouse-analyst:${q.queryId}`), ...scope, cancel_http_readonly_queries_on_client_close: 1 } as ClickHouseSettings
        const formatted = (await text('SELECT formatQuery({q:String})', { q: q.sql })).replace(/\n$/, '')
        precheck(formatted)
        const gate = checkStatement(parseAstDump(await text(`EXPLAIN AST ${formatted}`, params, settings)), { database: q.database, functions, internalTables: q.operator })
        const format = /\nFORMAT (\w+)(\nSETTINGS [^\n]*)?$/.exec(formatted)?.[1] ?? q.format
        const result = await client.exec({ query: formatted, query_id: q.queryId, query_params: params, abort_signal: q.signal, clickhouse_settings: { ...settings, default_format: format } as ClickHouseSettings })
        let rows = 0
        let bytes = 0
        const started = Date.now()
        async function* chunks() {
          for await (const chunk of result.stream as Readable) {
            bytes += (chunk as Buffer).byteLength
            yield chunk as Uint8Array
          }
        }
        const s = result.summary
        return {
          format, kind: gate.kind, useDatabase: gate.useDatabase, chunks: chunks(),
          stats: () => ({ result_rows: Number(s?.result_rows ?? rows), result_bytes: bytes, read_rows: Number(s?.read_rows ?? 0), read_bytes: Number(s?.read_bytes ?? 0), total_rows_to_read: Number(s?.total_rows_to_read ?? 0), elapsed_ns: (Date.now() - started) * 1e6 }),
        }
      } catch (e) {
        throw toSqlError(e)
      }
    },
    async close() {},
  }
}

const paramEscapes: Record<string, string> = { '0': '\0', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

/** HTTP `param_*` values are TSV-escaped; @clickhouse/client escapes strings once more, so undo the first. */
function unescapeParam(value: string): string {
  return value.replace(/\\(.)/gs, (_, c: string) => paramEscapes[c] ?? c)
}
