// The repository's own files, for tests about the repository itself (docs, references).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

export const root = resolve(import.meta.dirname, '../..')

const skipDirs = new Set(['node_modules', '.git', '.cache', 'data', 'dist'])

/** Tracked and new, not ignored, files (git ls-files); outside a git checkout, every file but build output and caches. */
export function repoFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\0').filter(Boolean)
  } catch {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? (skipDirs.has(e.name) ? [] : walk(join(dir, e.name))) : [relative(root, join(dir, e.name))])
    return walk(root)
  }
}

/** The file's text, or undefined for binary files (a NUL byte in the first 8 KiB) and deleted ones. */
export function readText(path: string): string | undefined {
  let buf: Buffer
  try {
    if (!statSync(join(root, path)).isFile()) return undefined
    buf = readFileSync(join(root, path))
  } catch {
    return undefined
  }
  return buf.subarray(0, 8192).includes(0) ? undefined : buf.toString('utf8')
}
