// The README's configuration table, generated from the config schema so the documented
// keys, defaults and meanings cannot drift from what start-up checks.
// `npm run docs:config` rewrites the table between the README's config markers.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { configSchema } from '../api/config.ts'

export const readmePath = resolve(import.meta.dirname, '../README.md')
const start = '<!-- config:start -->'
const end = '<!-- config:end -->'

export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([key, schema]) => {
    const s = schema as unknown as { description?: string; safeParse(v: unknown): { success: boolean; data?: unknown } }
    const parsed = s.safeParse(undefined)
    const raw = parsed.success ? parsed.data : undefined
    const shown = raw === undefined || raw === '' || (Array.isArray(raw) && raw.length === 0) ? '—' : `\`${String(raw)}\``
    return `| \`${key}\` | ${shown} | ${(s.description ?? '').replace(/\|/g, '\\|')} |`
  })
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

/** The README with its configuration table replaced by the current one. */
export function readmeWithTable(readme: string): string {
  const a = readme.indexOf(start)
  const b = readme.indexOf(end)
  if (a === -1 || b < a) throw new Error(`README.md lacks the ${start} … ${end} markers`)
  return `${readme.slice(0, a + start.length)}\n${configTable()}\n${readme.slice(b)}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--write')) writeFileSync(readmePath, readmeWithTable(readFileSync(readmePath, 'utf8')))
  else console.log(configTable())
}
