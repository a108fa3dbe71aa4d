// The repository stands alone: whoever clones it has every document and file it refers to.
// (The patterns below are escaped regex literals, so this file does not match itself.)
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readText, repoFiles } from './files.ts'

const outside: { what: string; re: RegExp }[] = [
  { what: 'a shared folder beside the repository', re: /\.\.\/shared\b/ },
  { what: 'notes that are not part of the repository', re: /\b(DESIGN|STYLE)\.md\b/ },
  { what: 'an absolute path on the development machine', re: /(^|[\s'"`(=:])\/(work|root|home)\/[\w.-]/ },
]

const escapes = (from: string, target: string) => {
  const resolved = normalize(join(dirname(from), target.split(/[?#]/)[0]))
  return resolved === '..' || resolved.startsWith('../')
}

const mdLink = /\]\((?!https?:|mailto:|#|\/)([^)\s]+)\)/g
const codeImport = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g

/** `path:line: excerpt` for each hit of `re` in `text`. */
function hits(path: string, text: string, re: RegExp): string[] {
  return text.split('\n').flatMap((line, i) => (re.test(line) ? [`${path}:${i + 1}: ${line.trim().slice(0, 120)}`] : []))
}

describe('the repository stands alone', () => {
  const files = repoFiles().map((path) => ({ path, text: readText(path) })).filter((f): f is { path: string; text: string } => f.text !== undefined)

  it('lists its files (a test that reads nothing proves nothing)', () => {
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'package.json']))
  })

  for (const { what, re } of outside) {
    it(`no file refers to ${what}`, () => {
      expect(files.flatMap((f) => hits(f.path, f.text, re))).toEqual([])
    })
  }

  it('no Markdown link and no relative import leads out of the repository', () => {
    const out: string[] = []
    for (const f of files) {
      const re = f.path.endsWith('.md') ? mdLink : /\.(m?[jt]sx?)$/.test(f.path) ? codeImport : undefined
      if (!re) continue
      for (const m of f.text.matchAll(re)) if (escapes(f.path, m[1])) out.push(`${f.path}: ${m[1]}`)
    }
    expect(out).toEqual([])
  })

  it('the checks catch what they are for', () => {
    const all = (text: string) => outside.filter(({ re }) => re.test(text)).length
    expect(all('see [the notes](../sha' + 'red/DES' + 'IGN.md)')).toBe(2)
    expect(all('read /wo' + 'rk/main/x.ts and STY' + 'LE.md')).toBe(2)
    expect(all('a dir like /tmp/prof or some/work/x is fine')).toBe(0)
    expect(escapes('docs/a.md', '../../x.md')).toBe(true)
    expect(escapes('ui/src/live/client.ts', '../../../api/protocol/index.ts')).toBe(false)
  })
})
