// The production build carries no benchmark code: the UI benchmark's page, synthetic worker
// and counters are built only with `--mode bench` (ui/vite.config.ts).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const out = mkdtempSync(join(tmpdir(), 'livehouse-ui-build-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** Every file of a build into a fresh directory (not ui/dist, which the browser tests may be serving). */
function build(mode: string): Map<string, string> {
  const dir = join(out, mode)
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'ui/vite.config.ts'), '--mode', mode, '--outDir', dir, '--logLevel', 'error'], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`vite build --mode ${mode} failed:\n${r.stdout}\n${r.stderr}`)
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
  return new Map(files.map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), 'utf8')]))
}

/**
 * Names only the benchmark uses: its window hook, its worker's message and the worker's file.
 * Not the bare word "synthetic": CodeMirror marks its own replayed key events `synthetic`.
 */
const benchMarkers = [/__bench\b/, /bench-stats/, /synthetic-worker/]
const marked = (text: string) => benchMarkers.some((m) => m.test(text))

describe('UI bundles', () => {
  it('the production bundle holds the app and its live worker, and no benchmark page, worker or hook', () => {
    const files = build('production')
    expect([...files.keys()]).toContain('index.html')
    expect([...files.keys()].some((f) => /^assets\/worker-.*\.js$/.test(f))).toBe(true)
    expect([...files.keys()].filter((f) => /bench|synthetic/.test(f))).toEqual([])
    expect([...files].filter(([, text]) => marked(text)).map(([f]) => f)).toEqual([])
  }, 180_000)

  it('the bench build has them, each marker (so the check above looks for the right names)', () => {
    const files = build('bench')
    expect([...files.keys()]).toContain('bench/index.html')
    const texts = [...files.values()]
    expect(benchMarkers.filter((m) => !texts.some((t) => m.test(t))).map(String)).toEqual([])
  }, 180_000)
})
