import { CompletionContext, type CompletionResult, type CompletionSource } from '@codemirror/autocomplete'
import { EditorState } from '@codemirror/state'
import { describe, expect, it } from 'vitest'
import { clickhouseDialect, completionSources, tablesInQuery } from './completion.ts'
import { statementAt } from './editor.ts'
import type { Schema } from './schema.ts'

const schema: Schema = {
  tables: [
    { database: 'default', name: 'trades', engine: 'MergeTree', totalRows: 10, totalBytes: 100, comment: '', columns: [{ name: 'symbol', type: 'LowCardinality(String)', comment: '' }, { name: 'price', type: 'Float64', comment: '' }] },
    { database: 'default', name: 'orders', engine: 'MergeTree', totalRows: 5, totalBytes: 50, comment: '', columns: [{ name: 'order_id', type: 'String', comment: '' }, { name: 'Revenue', type: 'Decimal(18, 2)', comment: '' }] },
    { database: 'system', name: 'functions', engine: 'SystemFunctions', totalRows: null, totalBytes: null, comment: '', columns: [{ name: 'name', type: 'String', comment: '' }] },
  ],
  functions: [{ name: 'toStartOfMinute', aggregate: false, aliasTo: '', syntax: 'toStartOfMinute(datetime)', description: 'Rounds down.' }, { name: 'sum', aggregate: true, aliasTo: '', syntax: 'sum(num)', description: '' }],
  lexicon: { keywords: ['select', 'from', 'where'], types: ['UInt64', 'LowCardinality'], tableFunctions: ['numbers'] },
}

/** All labels every source offers at the end of `doc` (as the editor merges them). */
async function labels(doc: string, explicit = false): Promise<string[]> {
  const dialect = clickhouseDialect(schema.lexicon)
  const state = EditorState.create({ doc, extensions: [dialect.language] })
  const cx = new CompletionContext(state, doc.length, explicit)
  const results = await Promise.all(completionSources(schema, dialect).map((s: CompletionSource) => s(cx)))
  return results.filter((r): r is CompletionResult => !!r).flatMap((r) => r.options.map((o) => o.label))
}

describe('SQL completion from the engine schema', () => {
  it('completes tables after FROM and databases, and db.table', async () => {
    expect(await labels('SELECT * FROM tra')).toContain('trades')
    expect(await labels('SELECT * FROM sys')).toContain('system')
    expect(await labels('SELECT * FROM system.')).toContain('functions')
  })

  it('completes the columns of the tables the statement reads, unqualified, and table.column', async () => {
    const cols = await labels('SELECT * FROM trades WHERE ', true)
    expect(cols).toEqual(expect.arrayContaining(['symbol', 'price']))
    expect(cols).not.toContain('order_id')
    expect(await labels('SELECT * FROM trades WHERE pr')).toContain('price')
    expect(await labels('SELECT * FROM orders AS o WHERE o.')).toEqual(expect.arrayContaining(['order_id', 'Revenue']))
    expect(await labels('SELECT trades.')).toEqual(expect.arrayContaining(['symbol', 'price']))
  })

  it('completes functions, table functions, keywords and types; nothing inside a string', async () => {
    const all = await labels('SELECT toSt')
    expect(all).toEqual(expect.arrayContaining(['toStartOfMinute', 'sum', 'numbers', 'SELECT', 'UInt64']))
    expect(await labels("SELECT 'toSt")).not.toContain('toStartOfMinute')
  })

  it('finds the tables a statement reads', () => {
    expect(tablesInQuery("SELECT 'from x' FROM default.trades AS t JOIN `odd name` USING (a) -- from y\nJOIN orders o ON 1"))
      .toEqual([{ database: 'default', name: 'trades' }, { name: 'odd name' }, { name: 'orders' }])
  })
})

describe('statement to run', () => {
  const at = (doc: string, pos: number) => statementAt(EditorState.create({ doc, selection: { anchor: pos }, extensions: [clickhouseDialect().language] }))
  it('is the statement under the cursor when there are several, else the whole text', () => {
    const doc = 'SELECT 1;\nSELECT 2;\nSELECT 3'
    expect(at(doc, 3)).toBe('SELECT 1')
    expect(at(doc, doc.indexOf('2'))).toBe('SELECT 2')
    expect(at(doc, doc.length)).toBe('SELECT 3')
    expect(at('SELECT 1', 0)).toBe('SELECT 1')
  })

  it('is the last statement of a text longer than the parser reads in one slice', () => {
    const doc = 'SELECT 1;\n'.repeat(2000) + 'SELECT 3'
    expect(at(doc, doc.length)).toBe('SELECT 3')
    expect(at(doc, 3)).toBe('SELECT 1')
  })

  it('is the selection when there is one', () => {
    const state = EditorState.create({ doc: 'SELECT 1; SELECT 2', selection: { anchor: 10, head: 18 } })
    expect(statementAt(state)).toBe('SELECT 2')
  })
})
