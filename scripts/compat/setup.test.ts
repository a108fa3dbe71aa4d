// The hand-over of scripts/compat/setup.mjs to the compatibility suite: on a first run the
// tools it drives print to their stdout (Maven's colour codes without a newline, once), and
// none of that may reach the JSON the suite reads. Fake `mvn` and `javac` on PATH do exactly
// that here, in a cache of their own.
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'livehouse-compat-setup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function fakeTool(name: string, script: string) {
  const path = join(dir, 'bin', name)
  writeFileSync(path, `#!/bin/sh\n${script}\n`)
  chmodSync(path, 0o755)
}

describe('compat setup hand-over', () => {
  it('puts only the JSON on stdout and in --out, whatever the tools print on a first run', async () => {
    mkdirSync(join(dir, 'bin'))
    // Maven leaves "ESC[0m" resets on stdout, without a newline; javac is made to do the same.
    fakeTool('mvn', `printf '\\033[0m\\033[0m'; for a in "$@"; do case "$a" in -DoutputDirectory=*) mkdir -p "\${a#-DoutputDirectory=}";; esac; done`)
    fakeTool('javac', `printf '\\033[0m'; while [ $# -gt 0 ]; do if [ "$1" = -d ]; then mkdir -p "$2" && touch "$2/Compat.class"; fi; shift; done`)
    const out = join(dir, 'result.json')
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'scripts/compat/setup.mjs'), 'java', '--out', out], {
      cwd: root, env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, LIVEHOUSE_COMPAT_CACHE: join(dir, 'cache') },
    })
    expect(existsSync(join(dir, 'cache/java/classes/Compat.class'))).toBe(true)
    const fromFile = JSON.parse(readFileSync(out, 'utf8'))
    expect(fromFile.java.version).toMatch(/^com\.clickhouse:jdbc-v2 \d/)
    expect(fromFile.java.classpath).toContain(join(dir, 'cache/java/lib'))
    expect(JSON.parse(stdout)).toEqual(fromFile)
  }, 60_000)
})
