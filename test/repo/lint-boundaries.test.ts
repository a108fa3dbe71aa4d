// The import boundaries of eslint.config.js catch what they are for (and allow what they allow).
import { ESLint } from 'eslint'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from './files.ts'

const eslint = new ESLint({ cwd: root })

/** Rule ids reported for `code` as if it were the file at `path` (the file need not exist). */
async function lint(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) })
  return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`)
}

const restricted = ['@typescript-eslint/no-restricted-imports']
// Snippets are built, not written out, so the repository's own import checks do not read them as imports of this file.
const use = (name: string, specifier: string, typeOnly = false) => `import ${typeOnly ? 'type ' : ''}{ ${name} } ${'from'} '${specifier}'\n`
const reexport = (name: string, specifier: string) => `export { ${name} } ${'from'} '${specifier}'\n`

describe('eslint import boundaries', () => {
  it('ingest/ may not import api/', async () => {
    expect(await lint('ingest/x.ts', use('createLogger', '../api/log.ts'))).toEqual(restricted)
    expect(await lint('ingest/demo/x.ts', use('Logger', '../../api/log.ts', true))).toEqual(restricted)
    expect(await lint('ingest/x.test.ts', use('createApp', '../api/app.ts'))).toEqual(restricted)
    expect(await lint('ingest/x.ts', use('AppError', '../core/errors.ts'))).toEqual([])
  })

  it('core/ imports neither api/ nor ingest/', async () => {
    expect(await lint('core/x.ts', use('createBatcher', '../ingest/batcher.ts'))).toEqual(restricted)
    expect(await lint('core/x.ts', reexport('createAuth', '../api/auth.ts'))).toEqual(restricted)
  })

  it('api/ takes ingest/ as types only, except the composition root', async () => {
    expect(await lint('api/ingest/x.ts', use('createIngestor', '../../ingest/ingestor.ts'))).toEqual(restricted)
    expect(await lint('api/ingest/x.ts', use('Ingestor', '../../ingest/ingestor.ts', true))).toEqual([])
    expect(await lint('api/livehouse.ts', use('createIngestor', '../ingest/ingestor.ts'))).toEqual([])
  })

  it('production code imports no test file or test support; tests may', async () => {
    expect(await lint('api/x.ts', use('getFreePort', '../test/support/ports.ts'))).toEqual(restricted)
    expect(await lint('api/live/x.ts', use('LiveClient', './test-client.ts'))).toEqual(restricted)
    expect(await lint('ingest/x.ts', use('rows', './batcher.test.ts'))).toEqual(restricted)
    expect(await lint('ui/src/x.ts', use('rows', './x.test'))).toEqual(restricted)
    expect(await lint('api/live/x.test.ts', use('LiveClient', './test-client.ts'))).toEqual([])
  })

  it('the browser imports only the shared protocol and schemas from the server', async () => {
    expect(await lint('ui/src/live/x.ts', use('createAuth', '../../../api/auth.ts'))).toEqual(restricted)
    expect(await lint('ui/src/live/x.ts', use('C', '../../../api/protocol/index.ts'))).toEqual([])
    expect(await lint('ui/src/views/x.ts', use('Widget', '../../../api/dashboards/schema.ts', true))).toEqual([])
  })
})
