/**
 * The tree `EXPLAIN AST` prints, read back: ClickHouse's own parser decides what a statement
 * is, and the port only walks its answer. One line per node, indented one space per level:
 * `Function file (children 1)`, `TableIdentifier system.tables`, `Literal 'a\n'` (literals are
 * printed escaped, so no value can forge a line).
 */
export interface AstNode {
  /** First word: `SelectWithUnionQuery`, `Function`, `TableIdentifier`, `Literal`, … */
  type: string
  /** The rest of the line without `(children N)` / `(alias x)`: a function or table name, a literal. */
  text: string
  children: AstNode[]
  parent?: AstNode
}

export function parseAstDump(dump: string): AstNode {
  const lines = dump.split('\n').filter((l) => l.trim() !== '')
  if (!lines.length) throw new Error('empty AST')
  const stack: { depth: number; node: AstNode }[] = []
  let root: AstNode | undefined
  for (const line of lines) {
    const depth = line.length - line.trimStart().length
    const node = parseLine(line.trimStart())
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop()
    const parent = stack[stack.length - 1]?.node
    if (parent) {
      node.parent = parent
      parent.children.push(node)
    } else if (root) {
      throw new Error('AST dump with two roots')
    } else {
      root = node
    }
    stack.push({ depth, node })
  }
  return root!
}

function parseLine(line: string): AstNode {
  const space = line.indexOf(' ')
  const type = space < 0 ? line : line.slice(0, space)
  let text = space < 0 ? '' : line.slice(space + 1)
  for (let before = ''; before !== text;) {
    before = text
    text = text.replace(/ \((?:children \d+|alias [^()]*)\)$/, '')
  }
  return { type, text, children: [] }
}

export function* walk(node: AstNode): Generator<AstNode> {
  yield node
  for (const c of node.children) yield* walk(c)
}
