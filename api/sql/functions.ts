import { readFileSync } from 'node:fs'

/**
 * Which functions an analyst may call: the engine's functions that were reviewed
 * (functions-known.txt), less those that reach outside the data (files, the network, the
 * host, the server's configuration, other tables through the back door) or into the
 * process (introspection). A function missing from the reviewed list is refused, so a new
 * engine version cannot add a hole unnoticed; the integration test enumerates
 * system.functions and fails on any function nobody has reviewed.
 */

/** Whole categories of system.functions that are refused. */
export const deniedCategories: Record<string, string> = {
  Introspection: 'reads the process (symbols, addresses, threads, logs)',
  Dictionary: 'reads dictionaries, which can be backed by files, URLs or other tables',
  'Embedded Dictionary': 'reads the server\'s geo dictionaries from files',
  AI: 'calls a network model provider',
  'Machine Learning': 'can load model files from the server',
  Internal: 'engine-internal helpers, not meant to be called',
}

/** Functions refused by name, with why (their aliases are refused with them). */
export const deniedFunctions: Record<string, string> = {
  file: 'reads any file the process can read (issue 10, finding 1)',
  filesystemAvailable: 'reports the host filesystem',
  filesystemCapacity: 'reports the host filesystem',
  filesystemUnreserved: 'reports the host filesystem',
  getServerSetting: 'reveals the server configuration (paths)',
  getMergeTreeSetting: 'reveals the server configuration',
  getMacro: 'reveals the server configuration',
  getClientHTTPHeader: 'reads request headers (the token)',
  getOSKernelVersion: 'reveals the host',
  getServerPort: 'reveals the host',
  tcpPort: 'reveals the host',
  hostName: 'reveals the host',
  FQDN: 'reveals the host',
  serverUUID: 'reveals the host',
  showCertificate: 'reads the server certificate',
  catboostEvaluate: 'loads a model file from the server',
  joinGet: 'reads Join tables around the table policy',
  joinGetOrNull: 'reads Join tables around the table policy',
  hasColumnInTable: 'reads other tables\' metadata, also of remote hosts',
  globalVariable: 'reads server-global state',
  zookeeperSessionUptime: 'reveals the coordination service',
  generateSerialID: 'writes to the coordination service',
  fuzzQuery: 'engine test helper',
  transactionID: 'engine transactions, not for analysts',
  transactionLatestSnapshot: 'engine transactions, not for analysts',
  transactionOldestSnapshot: 'engine transactions, not for analysts',
}

/** Internal helpers the parser itself produces from ordinary syntax (`x::T`, `CASE x WHEN`). */
const allowedInternal = new Set(['_CAST', 'caseWithExpression'])

/** Names the parser prints as functions that are syntax, not entries of system.functions. */
const parserFunctions = new Set(['lambda', 'exists', 'grouping', 'untuple', 'tuple', 'array', 'not', 'and', 'or', 'in', 'notIn', 'isNull', 'isNotNull', 'like', 'notLike', 'ilike', 'notILike'])

/** Table functions an analyst may read from: generators and subquery wrappers only. */
export const allowedTableFunctions = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generateRandom', 'generate_series', 'generateSeries', 'values', 'view', 'primes', 'null'])

export interface FunctionRow {
  name: string
  is_aggregate: number | string
  case_insensitive: number | string
  alias_to: string
  categories: string
}

export interface FunctionPolicy {
  /** Undefined when allowed, else why not. */
  refusal(name: string): string | undefined
}

export function readKnownFunctions(path = new URL('./functions-known.txt', import.meta.url)): Set<string> {
  return new Set(readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')))
}

/** The policy over the engine's catalogue (`system.functions`) and its aggregate combinators. */
export function createFunctionPolicy(rows: FunctionRow[], combinators: string[], known = readKnownFunctions()): FunctionPolicy {
  const byName = new Map(rows.map((r) => [r.name, r]))
  const insensitive = new Map(rows.filter((r) => Number(r.case_insensitive)).map((r) => [r.name.toLowerCase(), r.name]))
  // Longest first, so `MergeState` is not read as `Merge` + `State` of a shorter base.
  const suffixes = [...combinators].sort((a, b) => b.length - a.length)

  const canonical = (name: string) => (byName.has(name) ? name : insensitive.get(name.toLowerCase()))
  /** '' = allowed, a reason = refused, undefined = not a function of the engine. */
  const plain = (name: string, depth = 0): string | undefined => {
    const found = canonical(name)
    if (!found) return undefined
    const row = byName.get(found)!
    const own = refusalOf(row)
    if (own) return own
    if (!row.alias_to) return ''
    const target = depth < 4 ? plain(row.alias_to, depth + 1) : undefined
    return target ?? `function ${name} is an alias of an unknown function`
  }
  const refusalOf = (row: FunctionRow): string | undefined => {
    if (!known.has(row.name)) return `function ${row.name} has not been reviewed for the analyst port`
    if (Object.hasOwn(deniedFunctions, row.name)) return `function ${row.name} ${deniedFunctions[row.name]}`
    for (const c of row.categories.split(',').map((s) => s.trim())) {
      if (Object.hasOwn(deniedCategories, c) && !allowedInternal.has(row.name)) return `function ${row.name} ${deniedCategories[c]}`
    }
    return undefined
  }
  const aggregateBase = (name: string, depth = 0): string | undefined => {
    if (depth > 4) return undefined
    for (const s of suffixes) {
      if (!name.endsWith(s) || name.length === s.length) continue
      const base = name.slice(0, -s.length)
      const row = byName.get(canonical(base) ?? '')
      if (row && Number(row.is_aggregate)) return plain(base)
      const deeper = aggregateBase(base, depth + 1)
      if (deeper !== undefined) return deeper
    }
    return undefined
  }
  return {
    refusal(name) {
      if (parserFunctions.has(name) && !byName.has(name)) return undefined
      const direct = plain(name)
      if (direct !== undefined) return direct || undefined
      const viaCombinator = aggregateBase(name)
      if (viaCombinator !== undefined) return viaCombinator || undefined
      return `function ${name} is not available on the analyst port`
    },
  }
}
