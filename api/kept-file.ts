import { renameSync, writeFileSync } from 'node:fs'

/**
 * Replaces a file the gateway keeps in DATA_DIR (its secret, revocations, the insights' refresh
 * state): written beside it and renamed over it, so a crash mid-write leaves the old file or the
 * new one, never a truncated one. The temporary name holds the pid: two processes never share it.
 */
export function replaceKeptFile(file: string, text: string, mode?: number): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, mode === undefined ? undefined : { mode })
  renameSync(tmp, file)
}
