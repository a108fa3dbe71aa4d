import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClickHouse } from '../../api/clickhouse/client.ts'
import { splitSql } from '../../api/clickhouse/split-sql.ts'
import { generateClusterStatements, outputPath, renderClusterSchema } from '../../deploy/clickhouse/generate-cluster-schema.ts'

let dir: string
let ch: ClickHouseClient
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'livehouse-cluster-'))
  ch = createClickHouse({ dataDir: dir }, 'ops')
})
afterAll(async () => {
  await ch?.close()
  rmSync(dir, { recursive: true, force: true })
})

const statements = generateClusterStatements()

describe('cluster schema (deploy/clickhouse/cluster/schema.sql)', () => {
  it('is up to date with the migrations it is generated from', () => {
    expect(readFileSync(outputPath, 'utf8')).toBe(renderClusterSchema())
    expect(splitSql(readFileSync(outputPath, 'utf8')).map((s) => s.replace(/^\s*--.*\n/gm, '').trim())).toEqual(statements)
  })

  it('parses statement by statement in ClickHouse 26 (formatQuery and EXPLAIN AST)', async () => {
    // Replicated engines need Keeper, which chDB has not: parse, do not create.
    for (const stmt of statements) {
      const rs = await ch.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q: stmt }, format: 'JSONEachRow' })
      const [{ f }] = await rs.json<{ f: string }>()
      expect(f.length, stmt.slice(0, 60)).toBeGreaterThan(0)
      const ast = await (await ch.query({ query: `EXPLAIN AST ${stmt}`, format: 'TabSeparatedRaw' })).text()
      expect(ast, stmt.slice(0, 60)).toMatch(/^"?(Create(Query|Table|NamedCollectionQuery)|AlterQuery|DropQuery|DropNamedCollectionQuery)/)
    }
  })

  it('replicates every MergeTree table, puts a Distributed table in front of it, and keeps views shard-local', () => {
    const locals = statements.filter((s) => /^CREATE TABLE IF NOT EXISTS \w+_local /.test(s))
    const distributed = statements.filter((s) => /ENGINE = Distributed\(/.test(s))
    expect(locals.length).toBeGreaterThanOrEqual(13)
    expect(distributed).toHaveLength(locals.length)
    for (const s of locals) expect(s).toMatch(/ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\w+_local', '\{replica\}'/)
    expect(statements.every((s) => s.includes("ON CLUSTER '{cluster}'"))).toBe(true)
    const replicated = locals.map((s) => /EXISTS (\w+)_local/.exec(s)![1])
    // Refreshable views keep a snapshot per node, refreshed from the Distributed tables.
    for (const view of statements.filter((s) => /^CREATE MATERIALIZED VIEW IF NOT EXISTS [\w.]+ ON CLUSTER '\{cluster\}'\nREFRESH /.test(s))) expect(view).toMatch(/ENGINE = MergeTree ORDER BY/)
    for (const view of statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW') && !/\nREFRESH /.test(s))) {
      expect(view).toMatch(/ TO \w+_local AS/)
      for (const t of replicated) expect(view).not.toMatch(new RegExp(`\\b(FROM|JOIN) ${t}\\b`))
    }
    expect(statements.join('\n')).not.toMatch(/\{\{/)
    // Livehouse consumes Kafka itself (docs/operations.md): a cluster built from the final schema has no Kafka engine tables.
    expect(statements.filter((s) => /ENGINE = Kafka|NAMED COLLECTION/.test(s))).toEqual([])
  })
})
