// Generates deploy/clickhouse/cluster/schema.sql, the sharded and replicated variant of
// the schema, from the same clickhouse/schema + clickhouse/views files the app migrates:
//   every *MergeTree table X  → X_local ON CLUSTER, Replicated*MergeTree (Keeper path per shard)
//                               + X, a Distributed table over X_local sharded by its first key column
//   every materialized view   → the same view ON CLUSTER, reading and writing the _local tables,
//                               so each shard aggregates the rows it stores
//   Kafka engine tables       → ON CLUSTER: every replica joins one consumer group, so the
//                               topic's partitions spread over the whole cluster
//   INSERT … SELECT backfills → left out: they fill a new rollup from rows a single node already has
//   DROP TABLE/VIEW           → the dropped object's CREATE statements are left out (a new cluster gets the final schema)
//   plain (parameterized) views → ON CLUSTER, reading the Distributed tables: a whole-cluster answer
//   databases, refreshable views → ON CLUSTER: every node refreshes its own snapshot table from the
//                               Distributed tables (a whole-cluster snapshot on each node, read locally)
// Usage: npx tsx deploy/clickhouse/generate-cluster-schema.ts [--check] [--brokers kafka:9092]
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { readMigrations } from '../../api/clickhouse/migrate.ts'
import { splitSql } from '../../api/clickhouse/split-sql.ts'

export const outputPath = resolve(import.meta.dirname, 'cluster/schema.sql')

export interface ClusterSchemaOptions {
  /** Name of the cluster in remote_servers (a macro by default, so one file fits every node). */
  cluster?: string
  kafka?: { brokers: string; topicPrefix: string; group: string }
  /** Distributed sharding expression per table; default cityHash64(<first ORDER BY column>). */
  shardingKeys?: Record<string, string>
}

const defaults = {
  cluster: '{cluster}',
  kafka: { brokers: 'kafka:9092', topicPrefix: 'livehouse.', group: 'livehouse-clickhouse' },
  // dead_letters has a handful of streams: spread it evenly instead of by key.
  shardingKeys: { dead_letters: 'rand()' } as Record<string, string>,
}

const createTable = /^CREATE TABLE IF NOT EXISTS (\w+)\s*\(/
const mergeTreeEngine = /ENGINE\s*=\s*(\w*MergeTree)\b(\s*\(([^)]*)\))?/
const createView = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\b/
const createNamedCollection = /^CREATE NAMED COLLECTION IF NOT EXISTS (\w+) AS\b/
const alterTable = /^ALTER TABLE (\w+) (MODIFY SETTING|ADD COLUMN)\b/
const backfill = /^INSERT INTO \w+\s+SELECT\b/
const drop = /^DROP (?:VIEW|TABLE|NAMED COLLECTION) IF EXISTS (\w+)$/
const createPlainView = /^CREATE VIEW IF NOT EXISTS (\w+) AS\b/
const replacePlainView = /^CREATE OR REPLACE VIEW (\w+) AS\b/
const createDatabase = /^CREATE DATABASE IF NOT EXISTS (\w+)/
const createRefreshableView = /^CREATE MATERIALIZED VIEW IF NOT EXISTS ([\w.]+)\s+REFRESH\b/

/** The cluster schema as a list of statements, in migration order. */
export function generateClusterStatements(options: ClusterSchemaOptions = {}): string[] {
  const cluster = options.cluster ?? defaults.cluster
  const kafka = options.kafka ?? defaults.kafka
  const shardingKeys = { ...defaults.shardingKeys, ...options.shardingKeys }
  const onCluster = `ON CLUSTER '${cluster}'`
  const replicated = new Set<string>()
  const out: string[] = []
  for (const file of readMigrations()) {
    const sql = substitute(file.sql, kafka)
    for (const raw of splitSql(sql)) {
      const stmt = raw.replace(/^\s*--.*$/gm, '').replace(/\n{2,}/g, '\n').trim()
      const table = createTable.exec(stmt)
      const engine = mergeTreeEngine.exec(stmt)
      const view = createView.exec(stmt)
      if (table && engine) {
        const name = table[1]
        const local = `${name}_local`
        const args = [`'/clickhouse/tables/{shard}/{database}/${local}'`, `'{replica}'`, ...(engine[3]?.trim() ? [engine[3].trim()] : [])]
        replicated.add(name)
        out.push(stmt.replace(createTable, `CREATE TABLE IF NOT EXISTS ${local} ${onCluster}\n(`).replace(mergeTreeEngine, `ENGINE = Replicated${engine[1]}(${args.join(', ')})`))
        const key = shardingKeys[name] ?? `cityHash64(${firstOrderByColumn(stmt, name)})`
        out.push(`CREATE TABLE IF NOT EXISTS ${name} ${onCluster} AS ${local}\nENGINE = Distributed('${cluster}', currentDatabase(), '${local}', ${key})`)
      } else if (table) {
        out.push(stmt.replace(createTable, `CREATE TABLE IF NOT EXISTS ${table[1]} ${onCluster}\n(`))
      } else if (createNamedCollection.test(stmt)) {
        out.push(stmt.replace(createNamedCollection, (m, name: string) => `CREATE NAMED COLLECTION IF NOT EXISTS ${name} ${onCluster} AS`))
      } else if (alterTable.test(stmt)) {
        // Settings live on the replicated tables; a new column also on the Distributed table in front.
        const [, name, action] = alterTable.exec(stmt)!
        const rest = stmt.slice(`ALTER TABLE ${name} `.length)
        if (!replicated.has(name)) out.push(`ALTER TABLE ${name} ${onCluster} ${rest}`)
        else {
          out.push(`ALTER TABLE ${name}_local ${onCluster} ${rest}`)
          if (action === 'ADD COLUMN') out.push(`ALTER TABLE ${name} ${onCluster} ${rest}`)
        }
      } else if (drop.test(stmt)) {
        // A fresh cluster gets the final schema: what a later migration drops is never created.
        const name = drop.exec(stmt)![1]
        const made = new RegExp(`^(?:CREATE (?:TABLE|MATERIALIZED VIEW|NAMED COLLECTION) IF NOT EXISTS|ALTER TABLE) (?:${name}|${name}_local)\\b`)
        for (let i = out.length - 1; i >= 0; i--) if (made.test(out[i])) out.splice(i, 1)
        replicated.delete(name)
      } else if (backfill.test(stmt)) {
        continue // a migration's backfill of existing rows: a cluster built from this file starts empty
      } else if (createDatabase.test(stmt)) {
        out.push(stmt.replace(createDatabase, (m, name: string) => `CREATE DATABASE IF NOT EXISTS ${name} ${onCluster}`))
      } else if (createRefreshableView.test(stmt)) {
        out.push(stmt.replace(createRefreshableView, (m, name: string) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ${onCluster}\nREFRESH`))
      } else if (replacePlainView.test(stmt)) {
        // A fresh cluster gets the final schema: the view as the last migration wrote it, where it was
        // first created (views and refreshable views made after it read it).
        const name = replacePlainView.exec(stmt)![1]
        const created = `CREATE VIEW IF NOT EXISTS ${name} ${onCluster} AS`
        const at = out.findIndex((s) => s.startsWith(`${created}\n`) || s.startsWith(`${created} `))
        const replacement = stmt.replace(replacePlainView, created)
        if (at < 0) out.push(replacement)
        else out[at] = replacement
      } else if (createPlainView.test(stmt)) {
        out.push(stmt.replace(createPlainView, (m, name: string) => `CREATE VIEW IF NOT EXISTS ${name} ${onCluster} AS`))
      } else if (view) {
        const [, name, target] = view
        const to = replicated.has(target) ? `${target}_local` : target
        const body = stmt.slice(view[0].length).replace(/\b(FROM|JOIN)\s+(\w+)\b/g, (m, kw: string, src: string) => (replicated.has(src) ? `${kw} ${src}_local` : m))
        out.push(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ${onCluster} TO ${to} AS${body}`)
      } else {
        throw new Error(`${file.name}: no cluster rule for statement: ${stmt.slice(0, 80)}`)
      }
    }
  }
  return out
}

function firstOrderByColumn(stmt: string, table: string): string {
  const m = /\bORDER BY\s*\(?\s*(\w+)/.exec(stmt)
  if (!m) throw new Error(`${table}: no ORDER BY to shard by; add it to shardingKeys`)
  return m[1]
}

function substitute(sql: string, kafka: NonNullable<ClusterSchemaOptions['kafka']>): string {
  const values: Record<string, string> = {
    KAFKA_BROKERS: kafka.brokers,
    KAFKA_GROUP: kafka.group,
    KAFKA_TOPIC_TRADES: `${kafka.topicPrefix}trades`,
    KAFKA_TOPIC_ORDERS: `${kafka.topicPrefix}orders`,
    KAFKA_TOPIC_WEB_EVENTS: `${kafka.topicPrefix}web_events`,
  }
  return sql.replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => {
    if (!(k in values)) throw new Error(`unknown placeholder {{${k}}}`)
    return values[k]
  })
}

/** The file's text: a header, then one statement per paragraph. */
export function renderClusterSchema(options: ClusterSchemaOptions = {}): string {
  const header = [
    '-- GENERATED by deploy/clickhouse/generate-cluster-schema.ts from clickhouse/schema and clickhouse/views.',
    '-- Do not edit: change the migrations, then run `npx tsx deploy/clickhouse/generate-cluster-schema.ts`.',
    '-- Apply once per cluster, before the first gateway starts:',
    '--   clickhouse-client --multiquery < deploy/clickhouse/cluster/schema.sql',
    '-- Needs the {cluster}, {shard} and {replica} macros (cluster/config.d/macros.xml) and Keeper.',
    '',
  ].join('\n')
  return header + generateClusterStatements(options).map((s) => `${s};\n`).join('\n')
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2)
  const brokers = args.includes('--brokers') ? args[args.indexOf('--brokers') + 1] : defaults.kafka.brokers
  const text = renderClusterSchema({ kafka: { ...defaults.kafka, brokers } })
  if (args.includes('--check')) {
    const current = readFileSync(outputPath, 'utf8')
    if (current !== text) {
      console.error(`${outputPath} is stale: run npx tsx deploy/clickhouse/generate-cluster-schema.ts`)
      process.exit(1)
    }
  } else {
    writeFileSync(outputPath, text)
    console.log(`wrote ${outputPath}`)
  }
}
