/**
 * Splits a SQL file into statements at top-level semicolons, ignoring those inside
 * quotes, backticks and comments. Comments-only fragments are dropped.
 */
export function splitSql(text: string): string[] {
  const out: string[] = []
  let start = 0
  let i = 0
  while (i < text.length) {
    const c = text[i]
    const next = text[i + 1]
    if (c === '-' && next === '-') {
      i = indexOrEnd(text, '\n', i)
    } else if (c === '/' && next === '*') {
      i = indexOrEnd(text, '*/', i + 2) + 2
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(text, i, c)
    } else if (c === ';') {
      push(out, text.slice(start, i))
      start = ++i
    } else {
      i++
    }
  }
  push(out, text.slice(start))
  return out
}

function indexOrEnd(text: string, needle: string, from: number): number {
  const at = text.indexOf(needle, from)
  return at === -1 ? text.length : at
}

function skipQuoted(text: string, from: number, quote: string): number {
  let i = from + 1
  while (i < text.length) {
    if (text[i] === '\\') i += 2
    else if (text[i] === quote) return i + 1
    else i++
  }
  return i
}

function push(out: string[], stmt: string) {
  const withoutComments = stmt.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim()
  if (withoutComments) out.push(stmt.trim())
}
