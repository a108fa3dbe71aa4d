// docs/errors.md lists exactly the codes the code raises, each with its status.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readText, repoFiles, root } from './files.ts'

/** `status CODE` for every `new AppError(status, 'CODE' | cond ? 'A' : 'B', …)` in production TypeScript. */
export function raisedCodes(sources: string[]): string[] {
  const out = new Set<string>()
  for (const text of sources) {
    for (const [, status, codeArg] of text.matchAll(/new AppError\(\s*(\d{3}),\s*([^,]+?),/g)) {
      for (const [, code] of codeArg.matchAll(/'([A-Z][A-Z0-9_]+)'/g)) out.add(`${status} ${code}`)
    }
  }
  return [...out].sort()
}

/** `status CODE` for every table row `| status | \`CODE\` | …` of the doc. */
export function documentedCodes(doc: string): string[] {
  return [...doc.matchAll(/^\|\s*(\d{3})\s*\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map(([, s, c]) => `${s} ${c}`).sort()
}

describe('docs/errors.md', () => {
  const sources = repoFiles()
    .filter((p) => /^(api|core|ingest)\/.*\.ts$/.test(p) && !/\.test\.ts$/.test(p))
    .map((p) => readText(p) ?? '')
  const raised = raisedCodes(sources)
  const documented = documentedCodes(readFileSync(join(root, 'docs/errors.md'), 'utf8'))

  it('documents every code the server raises, with its status', () => {
    expect(raised.length).toBeGreaterThan(20)
    expect(raised.filter((c) => !documented.includes(c))).toEqual([])
  })

  it('documents no code the server does not raise', () => {
    expect(documented.filter((c) => !raised.includes(c))).toEqual([])
  })

  it('reads both forms of a raise', () => {
    const src = "throw new AppError(401, expired ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', 'x')\nnew AppError(404, 'NOT_FOUND', `no ${a}, b`)"
    expect(raisedCodes([src])).toEqual(['401 INVALID_TOKEN', '401 TOKEN_EXPIRED', '404 NOT_FOUND'])
  })
})
