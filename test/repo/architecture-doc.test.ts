// docs/architecture.md names real files: a newcomer following it never lands on a path that moved.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from './files.ts'

const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8')

/** Pages being written on another branch when this doc was; drop each once it is merged. */
const writtenElsewhere = new Set(['docs/events.md'])

/** Repository paths the doc names: `a/b.ts` and `a/` in backticks (from the root), bare `x.md` (in docs/) and `x.js` (at the root), and relative links (from docs/). */
export function namedPaths(text: string): string[] {
  const out = new Set<string>()
  for (const [, token] of text.matchAll(/`([^`\s]+)`/g)) {
    if (/^[.@/]|[{}<>*:]/.test(token)) continue // URL paths, packages, placeholders
    if (token.includes('/')) out.add(token)
    else if (token.endsWith('.md')) out.add(`docs/${token}`)
    else if (/\.(ts|js|json|sql)$/.test(token)) out.add(token)
  }
  for (const [, target] of text.matchAll(/\]\((?!https?:|#)([^)#\s]+)(#[^)]*)?\)/g)) out.add(join('docs', target))
  return [...out].sort()
}

describe('docs/architecture.md', () => {
  const paths = namedPaths(doc)

  it('names the modules and the files of the event path', () => {
    expect(paths.length).toBeGreaterThan(30)
    expect(paths).toEqual(expect.arrayContaining(['api/livehouse.ts', 'ingest/batcher.ts', 'ui/src/live/worker.ts', 'core/', 'docs/errors.md']))
  })

  it('names only files and folders that exist', () => {
    expect(paths.filter((p) => !existsSync(join(root, p)) && !writtenElsewhere.has(p))).toEqual([])
  })

  it('tells a missing file from a present one', () => {
    expect(namedPaths('see `api/no-such-file.ts` and [x](nope.md)').filter((p) => !existsSync(join(root, p)))).toEqual(['api/no-such-file.ts', 'docs/nope.md'])
  })
})
