// ClickHouse SQL for CodeMirror: a dialect (keywords and types from the engine when it
// lists them) and completion of tables, columns and functions from its system tables.
import { ifNotIn, type Completion, type CompletionContext, type CompletionResult, type CompletionSource } from '@codemirror/autocomplete'
import { schemaCompletionSource, SQLDialect, type SQLNamespace } from '@codemirror/lang-sql'
import type { EditorView } from '@codemirror/view'
import type { FunctionInfo, Lexicon, Schema, TableInfo } from './schema.ts'

// Until system.keywords / system.data_type_families answer (or on a server without them).
const baseKeywords = 'select from where prewhere group by order limit offset with totals rollup cube having as on using join inner left right full outer cross array global any all asof semi anti paste final sample format settings union except intersect distinct desc asc nulls first last fill step interpolate in not and or is null like ilike between case when then else end interval explain describe show tables databases create table view if exists window over partition rows range unbounded preceding following current row qualify into outfile database system'
const baseTypes = 'UInt8 UInt16 UInt32 UInt64 UInt128 UInt256 Int8 Int16 Int32 Int64 Int128 Int256 Float32 Float64 BFloat16 Decimal Decimal32 Decimal64 Decimal128 Decimal256 String FixedString UUID Date Date32 DateTime DateTime64 Bool Enum8 Enum16 Array Tuple Map Nested Nullable LowCardinality IPv4 IPv6 JSON Dynamic Variant'
const baseTableFunctions = 'numbers numbers_mt zeros generateRandom values file url remote merge'

const notInText = ['String', 'QuotedIdentifier', 'LineComment', 'BlockComment']
const word = /[\w$]+$/
const validFor = /^[\w$]*$/

export function clickhouseDialect(lexicon?: Lexicon): SQLDialect {
  // The base list always stays: lang-sql's alias and statement logic looks for words like `as`.
  const keywords = [...new Set([...baseKeywords.split(' '), ...(lexicon?.keywords ?? [])])].join(' ')
  // The tokenizer looks words up in lower case: types are listed that way for highlighting only.
  const types = (lexicon?.types.length ? lexicon.types : baseTypes.split(' ')).map((t) => t.toLowerCase()).join(' ')
  return SQLDialect.define({
    keywords, types, backslashEscapes: true, hashComments: true, identifierQuotes: '`"',
    // ClickHouse does not fold case: a name with capitals needs no quotes.
    caseInsensitiveIdentifiers: true,
  })
}

/** Databases → tables → columns, in the shape lang-sql completes (`db.table`, `table.column`, aliases). */
export function toNamespace(tables: TableInfo[]): SQLNamespace {
  const ns: Record<string, Record<string, SQLNamespace>> = {}
  for (const t of tables) {
    ns[t.database] ??= {}
    ns[t.database][t.name] = {
      self: { label: t.name, type: 'type', detail: t.engine },
      children: t.columns.map((c) => ({ label: c.name, type: 'property', detail: c.type, info: c.comment || undefined })),
    }
  }
  return ns
}

/** `FROM x`, `JOIN db.y AS z`: the tables a statement reads, as written. */
export function tablesInQuery(sql: string): { database?: string; name: string }[] {
  const text = sql.replace(/'(?:[^'\\]|\\.)*'/g, "''").replace(/--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
  const id = '(`[^`]+`|"[^"]+"|[A-Za-z_][\\w$]*)'
  const re = new RegExp(`\\b(?:from|join)\\s+${id}(?:\\s*\\.\\s*${id})?`, 'gi')
  const unquote = (s: string) => s.replace(/^[`"]|[`"]$/g, '')
  const out: { database?: string; name: string }[] = []
  for (const m of text.matchAll(re)) out.push(m[2] ? { database: unquote(m[1]), name: unquote(m[2]) } : { name: unquote(m[1]) })
  return out
}

function resolve(tables: TableInfo[], ref: { database?: string; name: string }): TableInfo | undefined {
  if (ref.database) return tables.find((t) => t.database === ref.database && t.name === ref.name)
  return tables.find((t) => t.database === 'default' && t.name === ref.name) ?? tables.find((t) => t.name === ref.name)
}

/** Unqualified columns of the tables the statement reads, ranked first. */
export function columnsInScope(tables: () => TableInfo[]): CompletionSource {
  return (cx: CompletionContext): CompletionResult | null => {
    const m = cx.matchBefore(word)
    if (!m && !cx.explicit) return null
    if (cx.state.sliceDoc((m?.from ?? cx.pos) - 1, m?.from ?? cx.pos) === '.') return null
    const seen = new Set<string>()
    const options: Completion[] = []
    for (const ref of tablesInQuery(cx.state.doc.toString())) {
      const t = resolve(tables(), ref)
      for (const c of t?.columns ?? []) {
        if (seen.has(c.name)) continue
        seen.add(c.name)
        options.push({ label: c.name, type: 'property', detail: `${c.type} · ${t!.name}`, info: c.comment || undefined, boost: 2 })
      }
    }
    return options.length ? { from: m?.from ?? cx.pos, options, validFor } : null
  }
}

/** Inserts `name()` with the cursor between the parentheses. */
function applyCall(view: EditorView, c: Completion, from: number, to: number) {
  const text = `${c.label}()`
  view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length - 1 }, userEvent: 'input.complete' })
}

export function functionOptions(functions: FunctionInfo[], tableFunctions: string[]): Completion[] {
  const out: Completion[] = functions.map((f) => ({
    label: f.name, type: 'function', apply: applyCall, boost: -1,
    detail: f.aliasTo ? `alias of ${f.aliasTo}` : f.aggregate ? 'aggregate' : undefined,
    info: [f.syntax, f.description].filter(Boolean).join('\n\n') || undefined,
  }))
  const known = new Set(functions.map((f) => f.name))
  for (const name of tableFunctions) if (!known.has(name)) out.push({ label: name, type: 'function', apply: applyCall, detail: 'table function', boost: -1 })
  return out
}

export function keywordOptions(lexicon?: Lexicon): Completion[] {
  const keywords = [...new Set([...baseKeywords.split(' '), ...(lexicon?.keywords ?? [])])]
  const types = lexicon?.types.length ? lexicon.types : baseTypes.split(' ')
  return [
    ...keywords.map((k) => ({ label: k.toUpperCase(), type: 'keyword', boost: -2 })),
    ...types.map((t) => ({ label: t, type: 'type', boost: -3 })),
  ]
}

/** A source over a fixed list that changes when the schema does. */
export function fromList(list: () => Completion[]): CompletionSource {
  return (cx) => {
    const m = cx.matchBefore(word)
    if (!m && !cx.explicit) return null
    if (cx.state.sliceDoc((m?.from ?? cx.pos) - 1, m?.from ?? cx.pos) === '.') return null
    return { from: m?.from ?? cx.pos, options: list(), validFor }
  }
}

/** Every completion source of the editor for one schema (rebuilt when the schema arrives). */
export function completionSources(schema: Schema | undefined, dialect: SQLDialect): CompletionSource[] {
  const tables = schema?.tables ?? []
  const fns = functionOptions(schema?.functions ?? [], schema?.lexicon?.tableFunctions ?? baseTableFunctions.split(' '))
  const words = keywordOptions(schema?.lexicon)
  return [
    schemaCompletionSource({ dialect, schema: toNamespace(tables), defaultSchema: 'default' }),
    ifNotIn(notInText, columnsInScope(() => tables)),
    ifNotIn(notInText, fromList(() => fns)),
    ifNotIn(notInText, fromList(() => words)),
  ]
}
