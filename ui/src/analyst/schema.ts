// What the editor completes and the schema browser lists, read from the engine's own
// system tables through the analyst's SQL endpoint (so it shows exactly what this user
// may query). Each part degrades on its own: an older server without `syntax`, or a
// profile that hides system.keywords, costs that detail, not the whole schema.
import { rows } from './client.ts'

export interface ColumnInfo {
  name: string
  type: string
  comment: string
}

export interface TableInfo {
  database: string
  name: string
  engine: string
  totalRows: number | null
  totalBytes: number | null
  comment: string
  columns: ColumnInfo[]
}

export interface FunctionInfo {
  name: string
  aggregate: boolean
  aliasTo: string
  syntax: string
  description: string
}

export interface Lexicon {
  keywords: string[]
  types: string[]
  tableFunctions: string[]
}

export interface Schema {
  tables: TableInfo[]
  functions: FunctionInfo[]
  lexicon?: Lexicon
}

const hidden = "('INFORMATION_SCHEMA', 'information_schema')"

export const schemaQueries = {
  tables: `SELECT database, name, engine, total_rows, total_bytes, comment FROM system.tables WHERE database NOT IN ${hidden} AND NOT is_temporary ORDER BY database = 'system', database, name`,
  columns: `SELECT database, table, name, type, comment FROM system.columns WHERE database NOT IN ${hidden} ORDER BY database, table, position`,
  functions: `SELECT name, is_aggregate, alias_to, syntax, leftUTF8(trimBoth(splitByString('\\n\\n', trimBoth(description))[1]), 300) FROM system.functions ORDER BY name`,
  functionsPlain: 'SELECT name, is_aggregate, alias_to FROM system.functions ORDER BY name',
  lexicon: `SELECT 'k', keyword FROM system.keywords UNION ALL SELECT 't', name FROM system.data_type_families UNION ALL SELECT 'f', name FROM system.table_functions`,
}

const n = (v: unknown) => (v === null || v === undefined ? null : Number(v))
const s = (v: unknown) => (v === null || v === undefined ? '' : String(v))

/**
 * One query after another: the schema takes one of the user's query slots on the port
 * (SQL_MAX_QUERIES_PER_USER), never all of them, so a query run meanwhile starts at once.
 */
export async function loadSchema(signal?: AbortSignal): Promise<Schema> {
  const tables = await rows(schemaQueries.tables, signal)
  const columns = await rows(schemaQueries.columns, signal)
  const functions = await rows(schemaQueries.functions, signal).catch(() => rows(schemaQueries.functionsPlain, signal)).catch(() => [] as unknown[][])
  const lexicon = await rows(schemaQueries.lexicon, signal).catch(() => undefined)
  // The details degrade to nothing on a refusal; a load that was called off is not a result.
  signal?.throwIfAborted()
  return { tables: toTables(tables, columns), functions: functions.map(toFunction), lexicon: lexicon && toLexicon(lexicon) }
}

export function toTables(tables: unknown[][], columns: unknown[][]): TableInfo[] {
  const byTable = new Map<string, ColumnInfo[]>()
  for (const [db, table, name, type, comment] of columns) {
    const key = `${s(db)}.${s(table)}`
    let list = byTable.get(key)
    if (!list) byTable.set(key, (list = []))
    list.push({ name: s(name), type: s(type), comment: s(comment) })
  }
  return tables.map(([db, name, engine, totalRows, totalBytes, comment]) => ({
    database: s(db), name: s(name), engine: s(engine), totalRows: n(totalRows), totalBytes: n(totalBytes), comment: s(comment),
    columns: byTable.get(`${s(db)}.${s(name)}`) ?? [],
  }))
}

const toFunction = ([name, aggregate, aliasTo, syntax, description]: unknown[]): FunctionInfo => ({
  name: s(name), aggregate: Number(aggregate) === 1, aliasTo: s(aliasTo), syntax: s(syntax), description: s(description).trim(),
})

function toLexicon(list: unknown[][]): Lexicon {
  const out: Lexicon = { keywords: [], types: [], tableFunctions: [] }
  const words = new Set<string>()
  for (const [kind, value] of list) {
    // system.keywords lists phrases ("GROUP BY"); the highlighter wants single words.
    if (kind === 'k') for (const w of s(value).split(/\s+/)) words.add(w.toLowerCase())
    else if (kind === 't') out.types.push(s(value))
    else if (kind === 'f') out.tableFunctions.push(s(value))
  }
  out.keywords = [...words].filter((w) => /^[a-z_]+$/.test(w))
  return out
}
