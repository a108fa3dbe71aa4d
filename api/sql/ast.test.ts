import { describe, expect, it } from 'vitest'
import { parseAstDump, walk } from './ast.ts'
import { checkStatement } from './gate.ts'
import type { FunctionPolicy } from './functions.ts'
import { thrownCode } from '../../test/support/app-error.ts'

const allowAll: FunctionPolicy = { refusal: (n) => (n === 'file' ? 'reads files' : undefined) }
const dump = `SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 2)
    Literal 'a\\n Function file' (alias x)
    Function plus (alias y) (children 1)
     ExpressionList (children 2)
      Identifier a
      Literal UInt64_1
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier default.trades
 Identifier JSON`

describe('the EXPLAIN AST reader', () => {
  it('reads types, names without alias and children counts, and parents', () => {
    const root = parseAstDump(dump)
    const nodes = [...walk(root)]
    expect(root.type).toBe('SelectWithUnionQuery')
    expect(nodes.filter((n) => n.type === 'Function').map((n) => n.text)).toEqual(['plus'])
    expect(nodes.find((n) => n.type === 'TableIdentifier')?.parent?.type).toBe('TableExpression')
    expect(root.children.map((c) => c.type)).toEqual(['ExpressionList', 'Identifier'])
  })
  it('a literal cannot forge a node: its newlines are printed escaped', () => {
    expect([...walk(parseAstDump(dump))].filter((n) => n.text === 'file')).toEqual([])
  })
  it('the gate refuses a root-level literal (INTO OUTFILE) and a denied function, and accepts the plain select', () => {
    const ctx = { database: 'default', functions: allowAll }
    expect(checkStatement(parseAstDump(dump), ctx).kind).toBe('SelectWithUnionQuery')
    // A select with a literal at the root (INTO OUTFILE): refused as the write it is, 164 READONLY.
    expect(thrownCode(() => checkStatement(parseAstDump(`${dump}\n Literal '/tmp/x'`), ctx))).toBe('403 READONLY')
    expect(thrownCode(() => checkStatement(parseAstDump('SelectWithUnionQuery (children 1)\n Function file (children 1)'), ctx))).toBe('403 ACCESS_DENIED')
    expect(thrownCode(() => checkStatement(parseAstDump('SYSTEM query'), ctx))).toBe('403 READONLY')
  })
})
