// The function layer of the analyst port against the real engine's catalogue: every function
// chDB has must have been reviewed (functions-known.txt), so a new engine version cannot add a
// hole unnoticed; and what reaches outside the data stays refused.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from 'chdb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFunctionPolicy, readKnownFunctions, type FunctionPolicy, type FunctionRow } from './functions.ts'

const dir = mkdtempSync(join(tmpdir(), 'livehouse-functions-'))
let session: Session
let engineFunctions: FunctionRow[]
let policy: FunctionPolicy

beforeAll(async () => {
  session = new Session(dir)
  const json = async <T>(sql: string) => (await session.queryAsync(sql, { format: 'JSONEachRow' })).text().trim().split('\n').map((l) => JSON.parse(l) as T)
  engineFunctions = await json<FunctionRow>('SELECT name, is_aggregate, case_insensitive, alias_to, categories FROM system.functions')
  const combinators = (await json<{ name: string }>('SELECT name FROM system.aggregate_function_combinators')).map((r) => r.name)
  policy = createFunctionPolicy(engineFunctions, combinators)
})
afterAll(() => {
  session?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the reviewed function list', () => {
  it('covers every function the engine has', () => {
    const known = readKnownFunctions()
    const unreviewed = engineFunctions.map((f) => f.name).filter((n) => !known.has(n))
    expect(unreviewed, 'new engine functions: review each (api/sql/functions.ts) and add it to functions-known.txt').toEqual([])
  })

  it('refuses functions that reach files, the host, the process, the network or other tables', () => {
    for (const name of ['file', 'FILE', 'getServerSetting', 'addressToSymbol', 'addressToLine', 'demangle', 'tid', 'logTrace', 'hostName', 'fqdn', 'FQDN',
      'filesystemCapacity', 'dictGet', 'dictGetString', 'joinGet', 'catboostEvaluate', 'getClientHTTPHeader', 'aiGenerate', 'regionToName', 'hasColumnInTable', 'serverUUID']) {
      expect(policy.refusal(name), name).toBeDefined()
    }
  })

  it('refuses names the engine does not know, and names that only look like a combinator of a refused one', () => {
    expect(policy.refusal('noSuchFunction')).toBeDefined()
    expect(policy.refusal('fileIf')).toBeDefined()
    expect(policy.refusal('toString')).toBeUndefined()
  })

  it('allows ordinary functions, aliases, case-insensitive spellings and aggregate combinators', () => {
    for (const name of ['plus', 'sum', 'SUM', 'count', 'sumIf', 'uniqExactState', 'avgOrNullIf', 'quantilesTDigestMerge', 'countDistinct', 'toStartOfMinute', 'lambda',
      'arrayMap', 'if', 'multiIf', 'caseWithExpression', '_CAST', 'CAST', 'row_number', 'lagInFrame', 'formatDateTime', 'JSONExtractString', 'exists', 'tuple', 'in', 'globalIn']) {
      expect(policy.refusal(name), name).toBeUndefined()
    }
  })
})
