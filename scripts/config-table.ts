// Prints the README's configuration table from the config schema (npm run docs:config),
// so the documented keys, defaults and meanings cannot drift from what start-up checks.
import { configSchema } from '../api/config.ts'

export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([key, schema]) => {
    const s = schema as unknown as { description?: string; safeParse(v: unknown): { success: boolean; data?: unknown } }
    const parsed = s.safeParse(undefined)
    const raw = parsed.success ? parsed.data : undefined
    const shown = raw === undefined || raw === '' || (Array.isArray(raw) && raw.length === 0) ? '—' : `\`${String(raw)}\``
    return `| \`${key}\` | ${shown} | ${s.description ?? ''} |`
  })
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(configTable())
