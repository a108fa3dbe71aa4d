import type { ClickHouseSettings } from '@clickhouse/client'
import { AppError } from '../../core/errors.ts'
import { inlineParams } from '../clickhouse/literal.ts'
import type { QueryClient } from '../clickhouse/pool.ts'
import type { CatalogQuery } from './catalog.ts'
import type { QueryResult } from './formats.ts'

/**
 * Session settings of the catalog connections: caps before `readonly` (chDB keeps
 * them on the session, and readonly first would make the caps illegal), decimals
 * quoted so numbers reach clients exactly. `maxThreads`: threads per query; the pool
 * runs one query per connection at once, so more threads than cores ÷ connections only
 * adds thread hand-offs (measured: 1 ms less CPU per sales_overview on 2 cores, 4
 * connections, bench/results/2026-12-05-catalog-cost.md). Unset: the engine's default.
 */
export const catalogSettings = (timeoutS: number, maxThreads?: number): ClickHouseSettings => ({
  max_execution_time: timeoutS,
  ...(maxThreads ? { max_threads: maxThreads } : {}),
  max_result_rows: '1000000',
  result_overflow_mode: 'throw',
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
  readonly: '1',
})

/**
 * The statement a catalog call runs: every `{name:Type}` rendered as a typed literal
 * (api/clickhouse/literal.ts). Not ClickHouse's own binding: chdb-node runs every bound
 * query of the process one after the other (its process-wide parameter chain, whatever
 * the session), so bound catalog queries could never run in parallel; literals can.
 * The values are resolved already (params.ts), and a value that does not render is a 400.
 */
export function catalogStatement(q: CatalogQuery, bound: Record<string, unknown>): string {
  try {
    return inlineParams(q.sql, bound)
  } catch (cause) {
    throw new AppError(400, 'INVALID_PARAMETER', `${q.name}: a parameter cannot be rendered`, { cause })
  }
}

/** Threads per catalog query: the cores shared by the pool's connections, at least one. */
export const catalogThreads = (cores: number, connections: number): number => Math.max(1, Math.floor(cores / connections))

/** Runs one resolved catalog call; ClickHouse's refusals become the catalog's error codes. */
export async function executeCatalogQuery(ch: QueryClient, q: CatalogQuery, bound: Record<string, unknown>, settings: ClickHouseSettings): Promise<QueryResult> {
  const query = catalogStatement(q, bound)
  try {
    const rs = await ch.query({ query, format: 'JSON', clickhouse_settings: settings })
    const { meta, data } = await rs.json<Record<string, unknown>>()
    return { query: q.name, columns: meta ?? [], rows: data }
  } catch (cause) {
    const code = (cause as { code?: string }).code
    // 159 TIMEOUT_EXCEEDED, 396 TOO_MANY_ROWS_OR_BYTES: the caller asked for too much.
    if (code === '159') throw new AppError(503, 'QUERY_TIMEOUT', 'the query took too long; narrow the range', { cause, retryAfterS: 1 })
    if (code === '396') throw new AppError(400, 'RESULT_TOO_LARGE', 'the result is too large; narrow the range or raise the interval', { cause })
    throw new AppError(502, 'CLICKHOUSE_ERROR', 'the query failed', { cause })
  }
}
