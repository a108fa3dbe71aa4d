import { type AstNode, walk } from './ast.ts'
import { sqlError } from './errors.ts'
import { allowedTableFunctions, type FunctionPolicy } from './functions.ts'
import * as access from '../access.ts'
import { allowedDatabases } from './tables.ts'

/**
 * The statement gate of the analyst port, over the tree ClickHouse's own parser gives
 * (`EXPLAIN AST`, api/sql/ast.ts): read statements only, no INTO OUTFILE, only reviewed
 * functions and table functions, no internal or unlisted system tables. The engine's
 * readonly=1 is the next layer behind it (writes, DDL, settings).
 */
export interface GateContext {
  /** The database unqualified names resolve in. */
  database: string
  functions: FunctionPolicy
  /** Operators (role admin) may read every table (Livehouse's own, all of system), e.g. a replica's migrator through the port. */
  internalTables?: boolean
}

export interface GateResult {
  kind: string
  /** For `USE db`: the database a session switches to. */
  useDatabase?: string
}

/** Statement kinds (the root of the tree) an analyst may run. */
const readKinds = new Set([
  'SelectWithUnionQuery', 'SelectQuery', 'SelectIntersectExceptQuery', 'Explain', 'DescribeQuery',
  'ShowTables', 'ShowColumns', 'ShowFunctions', 'ShowCreateTableQuery', 'ShowCreateViewQuery', 'ShowCreateDatabaseQuery',
  'ExistsTableQuery', 'ExistsDatabaseQuery', 'ExistsViewQuery', 'ExistsDictionaryQuery', 'UseQuery', 'Set',
])

/** Nodes that carry INTO OUTFILE as a direct Literal child (ASTQueryWithOutput). */
const withOutput = /^(SelectWithUnionQuery|SelectIntersectExceptQuery|Explain|DescribeQuery|Show\w*|Exists\w*)$/

const inFunctions = new Set(['in', 'notIn', 'globalIn', 'globalNotIn', 'nullIn', 'notNullIn', 'globalNullIn', 'globalNotNullIn'])

/** A cheap first look at the formatted statement, before the parser's tree: fails closed on the keyword anywhere. */
export function precheck(formatted: string) {
  if (/\bINTO\s+OUTFILE\b/i.test(formatted)) throw sqlError('READONLY', 'INTO OUTFILE is not allowed: the analyst port writes no files')
  // The parser calls these ShowTables too, but they read system tables analysts may not (clusters, merges, caches).
  const show = /^SHOW\s+(CLUSTERS?|MERGES|FILESYSTEM\s+CACHES|CACHES)\b/i.exec(formatted)
  if (show) throw sqlError('ACCESS_DENIED', `Not enough privileges: SHOW ${show[1].toUpperCase()} is not available on the analyst port`)
}

export function checkStatement(root: AstNode, ctx: GateContext): GateResult {
  if (!readKinds.has(root.type)) {
    throw sqlError('READONLY', `Cannot execute query in readonly mode: the analyst port runs read statements only (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN), not ${root.type.replace(/Query$/, '')}`)
  }
  for (const node of walk(root)) {
    if (withOutput.test(node.type) && node.children.some((c) => c.type === 'Literal')) {
      throw sqlError('READONLY', 'INTO OUTFILE is not allowed: the analyst port writes no files')
    }
    if (node.type === 'Function') checkFunction(node, ctx)
    if (node.type === 'TableIdentifier') checkTable(node.text, ctx)
  }
  if (/^(ShowCreate\w+Query|Exists(Table|View|Dictionary)Query)$/.test(root.type)) {
    const parts = root.text.trim().split(/\s+/)
    checkTable(parts.length > 1 ? `${parts[0]}.${parts[1]}` : parts[0] ?? '', ctx)
  }
  if (root.type === 'UseQuery') {
    const db = root.text.trim()
    if (!allowedDatabases.has(db)) throw sqlError('ACCESS_DENIED', `Not enough privileges: database ${db} is not available on the analyst port`)
    return { kind: root.type, useDatabase: db }
  }
  return { kind: root.type }
}

function checkFunction(node: AstNode, ctx: GateContext) {
  const name = node.text
  if (node.parent?.type === 'TableExpression') {
    if (!allowedTableFunctions.has(name)) throw sqlError('ACCESS_DENIED', `Not enough privileges: table function ${name} is not available on the analyst port`)
    return
  }
  const refusal = ctx.functions.refusal(name)
  if (refusal) throw sqlError('ACCESS_DENIED', `Not enough privileges: ${refusal}`)
  if (inFunctions.has(name)) {
    const right = node.children[0]?.children[1]
    if (right?.type === 'Identifier') checkTable(right.text, ctx)
  }
}

function checkTable(text: string, ctx: GateContext) {
  const name = text.replace(/`/g, '')
  const dot = name.indexOf('.')
  const [db, table] = dot < 0 ? [ctx.database, name] : [name.slice(0, dot), name.slice(dot + 1)]
  // Who may read which table is api/access.ts's answer; the port words it as ClickHouse would.
  const verdict = access.sqlTable({ operator: Boolean(ctx.internalTables) }, db, table)
  if (!verdict.ok) throw sqlError('ACCESS_DENIED', `${verdict.code}: Not enough privileges: ${verdict.message}`)
}
