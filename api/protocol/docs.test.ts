// docs/protocol.md's frame, error and close-code tables are checked against the protocol
// module, the way scripts/config-table.test.ts checks the README's configuration table: a
// frame, code or field added on one side only turns this red.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { C, clientLayouts, CloseCodes, ErrorCodes, limitKeys, S, serverLayouts, temporaryErrors } from './index.ts'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')

/** The rows (cells, trimmed, backslash-escaped pipes kept) of the first table after `marker`. */
function tableAfter(marker: string): string[][] {
  const at = doc.indexOf(marker)
  if (at < 0) throw new Error(`docs/protocol.md has no "${marker}"`)
  const lines = doc.slice(at).split('\n')
  const start = lines.findIndex((l) => l.startsWith('|'))
  const rows: string[][] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()))
  }
  return rows
}

/** `[1, sid, channel, params, resume?]` → { number: 1, fields: ['sid', …] }. */
function layout(cell: string) {
  const inner = /`\[(.*?)\]`/.exec(cell)?.[1] ?? ''
  const [number, ...fields] = inner.split(',').map((f) => f.trim().replace(/\?$/, '').replace(/\s*\\\|.*$/, ''))
  return { number: Number(number), fields }
}

describe('docs/protocol.md matches the codec', () => {
  it('lists every client frame with its op and field layout', () => {
    const rows = tableAfter('Client → server').map(([name, frame]) => [name, layout(frame)])
    const expected = Object.entries(C).map(([name, op]) => [`${op} ${name}`, { number: op, fields: [...clientLayouts[name as keyof typeof C]] }])
    expect(rows).toEqual(expected)
  })

  it('lists every server frame with its type and field layout', () => {
    const rows = tableAfter('Server → client').map(([name, frame]) => [name, layout(frame)])
    const expected = Object.entries(S).map(([name, type]) => [`${type} ${name}`, { number: type, fields: [...serverLayouts[name as keyof typeof S]] }])
    expect(rows).toEqual(expected)
  })

  it("names HELLO's limits keys", () => {
    const hello = tableAfter('Server → client')[0][1]
    expect(/limits` is a map `\{(.*?)\}`/.exec(hello)?.[1].split(',').map((k) => k.trim())).toEqual([...limitKeys])
  })

  it('lists every error code, reason and whether it is temporary', () => {
    const rows = tableAfter('## Errors').map(([code, reason, temporary]) => [Number(code), reason, temporary])
    const expected = Object.entries(ErrorCodes).map(([reason, code]) => [code, reason, temporaryErrors.has(reason as keyof typeof ErrorCodes) ? 'yes' : 'no'])
    expect(rows).toEqual(expected)
  })

  it('lists every close code', () => {
    const rows = tableAfter('Close codes:').map(([code, meaning]) => [Number(code), meaning.split(':')[0]])
    const expected = Object.entries(CloseCodes).map(([name, code]) => [code, name]).sort((a, b) => (a[0] as number) - (b[0] as number))
    expect(rows).toEqual(expected)
  })
})
