import { sqlError } from './errors.ts'

/**
 * The settings a client may send (URL, form, X-ClickHouse-Setting headers), as a ClickHouse
 * readonly=2 profile with constraints would allow them: an allowlist, numbers capped. Every
 * request runs with the complete set (caps, the client's allowed values, then readonly=1),
 * so nothing is inherited from another request. The SETTINGS clause and SET are the
 * engine's to judge: readonly=1 refuses any change there (code 164).
 */
export interface SqlCaps {
  maxExecutionS: number
  maxMemoryBytes: number
  maxResultRows: number
  maxResultBytes: number
  maxThreads: number
}

type Rule = { max?: (c: SqlCaps) => number; oneOf?: string[]; any?: true }

const num = (max?: (c: SqlCaps) => number): Rule => ({ max })

const rules: Record<string, Rule> = {
  max_execution_time: num((c) => c.maxExecutionS),
  max_threads: num((c) => c.maxThreads),
  max_memory_usage: num((c) => c.maxMemoryBytes),
  max_result_rows: num((c) => c.maxResultRows),
  max_result_bytes: num((c) => c.maxResultBytes),
  max_rows_to_read: num(),
  max_bytes_to_read: num(),
  max_rows_to_group_by: num(),
  max_rows_to_sort: num(),
  max_block_size: num(() => 1_000_000),
  max_query_size: num(() => 1024 * 1024),
  limit: num(),
  offset: num(),
  result_overflow_mode: { oneOf: ['throw', 'break'] },
  read_overflow_mode: { oneOf: ['throw', 'break'] },
  timeout_overflow_mode: { oneOf: ['throw', 'break'] },
  group_by_overflow_mode: { oneOf: ['throw', 'break', 'any'] },
  join_use_nulls: { oneOf: ['0', '1'] },
  extremes: { oneOf: ['0', '1'] },
  session_timezone: { any: true },
  date_time_output_format: { oneOf: ['simple', 'iso', 'unix_timestamp'] },
  date_time_input_format: { oneOf: ['basic', 'best_effort', 'best_effort_us'] },
  readonly: { oneOf: ['1'] },
  // HTTP-layer settings clients send on every request; the port honours them itself.
  wait_end_of_query: { oneOf: ['0', '1'] },
  send_progress_in_http_headers: { oneOf: ['0', '1'] },
  http_headers_progress_interval_ms: num(),
  enable_http_compression: { oneOf: ['0', '1'] },
  http_zlib_compression_level: num(() => 9),
  cancel_http_readonly_queries_on_client_close: { oneOf: ['0', '1'] },
  http_response_buffer_size: num(),
  add_http_cors_header: { oneOf: ['0', '1'] },
  // compress=1 framing: the port always frames with LZ4, which clients read whatever they named.
  network_compression_method: { oneOf: ['lz4', 'lz4hc', 'zstd', 'none'] },
  network_zstd_compression_level: num(() => 22),
}

/** Families allowed whole: how results are written and how values are parsed; nothing here reaches a file. */
const prefixes = ['output_format_', 'format_csv_', 'format_tsv_', 'input_format_', 'format_display_secrets_in_show_and_select']
/** …except these, which read or write schema files on the server. */
const deniedInFamilies = new Set(['output_format_schema', 'format_schema', 'format_schema_source', 'format_schema_message_name', 'input_format_parquet_enable_row_group_prefetch'])

/** Settings the port answers itself and never passes to the engine. */
export const httpOnly = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'enable_http_compression',
  'http_zlib_compression_level', 'cancel_http_readonly_queries_on_client_close', 'http_response_buffer_size', 'add_http_cors_header', 'readonly',
  'network_compression_method', 'network_zstd_compression_level'])

/** Checks the client's settings; returns those the engine gets. Refusals carry ClickHouse's codes. */
export function checkSettings(requested: Record<string, string>, caps: SqlCaps): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(requested)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw sqlError('UNKNOWN_SETTING', `Unknown setting '${name.slice(0, 64)}'`)
    const rule = rules[name] ?? (prefixes.some((p) => name.startsWith(p)) && !deniedInFamilies.has(name) ? { any: true as const } : undefined)
    if (!rule) throw sqlError('READONLY', `Cannot modify '${name}' setting in readonly mode: the analyst port allows only the settings listed in docs/sql.md`)
    checkValue(name, value, rule, caps)
    if (!httpOnly.has(name)) out[name] = value
  }
  return out
}

function checkValue(name: string, value: string, rule: Rule, caps: SqlCaps) {
  if (value.length > 1024 || /[\0\r\n]/.test(value)) throw sqlError('BAD_ARGUMENTS', `Setting ${name}: value is not valid`)
  if (rule.oneOf && !rule.oneOf.includes(value.toLowerCase())) {
    throw sqlError(name === 'readonly' ? 'READONLY' : 'BAD_ARGUMENTS', name === 'readonly' ? `Cannot modify 'readonly' setting in readonly mode` : `Setting ${name} must be one of: ${rule.oneOf.join(', ')}`)
  }
  if (rule.any || rule.oneOf) return
  if (!/^\d+(\.\d+)?$/.test(value)) throw sqlError('BAD_ARGUMENTS', `Setting ${name} must be a non-negative number`)
  const max = rule.max?.(caps)
  // 0 means "no limit" for the capped settings: that would lift the cap.
  if (max !== undefined && (Number(value) > max || Number(value) === 0)) {
    throw sqlError('SETTING_CONSTRAINT_VIOLATION', `Setting ${name} shouldn't be greater than ${max} (nor 0, no limit) on the analyst port`)
  }
}

/** The complete per-request engine settings: caps, then the client's allowed values, then readonly=1 last. */
export function engineSettings(client: Record<string, string>, caps: SqlCaps, marker: string): Record<string, string> {
  return {
    max_execution_time: String(caps.maxExecutionS),
    max_memory_usage: String(caps.maxMemoryBytes),
    max_result_rows: String(caps.maxResultRows),
    max_result_bytes: String(caps.maxResultBytes),
    max_threads: String(caps.maxThreads),
    result_overflow_mode: 'throw',
    // Spilling to disk writes temporary files; analysts get memory caps instead.
    max_bytes_before_external_group_by: '0',
    max_bytes_before_external_sort: '0',
    use_query_cache: '0',
    // chDB turns introspection on; off here, readonly=1 then refuses turning it back on (SETTINGS or SET).
    allow_introspection_functions: '0',
    ...client,
    // The port finds a query again by this (cancel on disconnect); clients cannot set it.
    log_comment: marker,
    readonly: '1',
  }
}
