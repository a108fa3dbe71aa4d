/**
 * What an analyst may read. Livehouse's own bookkeeping tables are refused by name (add new
 * ones here: one line each); of the engine's system tables only the catalogue a SQL client
 * needs to browse a schema is open, so nothing shows other sessions' queries, the server's
 * configuration, logs or stack traces.
 */
export const internalTables: Record<string, string> = {
  dashboards: 'holds every user\'s saved dashboards',
  livehouse_migrations: 'is the migration bookkeeping',
  dead_letters: 'holds other producers\' rejected payloads',
  alert_rules: 'holds every user\'s alert rules',
  alerts: 'holds every user\'s fired alerts (read yours with /api/v1/alerts/history)',
  idempotency_keys: 'is ingestion bookkeeping',
  ingest_keys: 'holds every producer\'s idempotency keys and where each unit came from',
  dead_letter_replays: 'is the dead-letter replay bookkeeping (who replayed what)',
  trades_in: 'is an ingestion landing table (it stores nothing: read trades)',
  orders_in: 'is an ingestion landing table (it stores nothing: read orders)',
  web_events_in: 'is an ingestion landing table (it stores nothing: read web_events)',
  data_version_buckets: 'is the history cache\'s bookkeeping (rows stored per bucket, for its keys)',
}

/** Table name patterns that are internal wherever they appear (Kafka consumers: a SELECT would steal messages). */
const internalPatterns: [RegExp, string][] = [
  [/^kafka_/, 'is a Kafka consumer table'],
  [/^\.inner/, 'is a view\'s inner table'],
  // A SELECT from a materialized view reads its target table, internal ones too (mv_ingest_keys_from_*).
  [/^mv_/, 'is a materialized view: read the table it writes to'],
]

/** System tables a schema browser (JDBC DatabaseMetaData, DBeaver, Grafana, clickhouse-connect) reads. */
export const analystSystemTables = new Set([
  'one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'databases', 'tables', 'columns', 'functions', 'table_functions',
  'formats', 'data_type_families', 'aggregate_function_combinators', 'time_zones', 'collations', 'keywords',
  'table_engines', 'settings', 'build_options', 'data_skipping_indices', 'contributors', 'licenses',
])

export const allowedDatabases = new Set(['default', 'system', 'information_schema', 'INFORMATION_SCHEMA'])

/** Undefined when `db.table` may be read, else why not. */
export function tableRefusal(db: string, table: string, operator = false): string | undefined {
  // Operators (role admin) monitor the engine and replicas migrate through the port: every table, still no file or host function.
  if (operator) return undefined
  if (db === 'system') return analystSystemTables.has(table) ? undefined : `table system.${table} is not available on the analyst port`
  if (db === 'information_schema' || db === 'INFORMATION_SCHEMA') return undefined
  if (db !== 'default') return `database ${db} is not available on the analyst port`
  const why = (Object.hasOwn(internalTables, table) ? internalTables[table] : undefined) ?? internalPatterns.find(([p]) => p.test(table))?.[1]
  return why ? `table ${table} is internal to Livehouse: it ${why}` : undefined
}
