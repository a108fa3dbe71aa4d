import type { ClickHouseClient } from '@clickhouse/client'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../core/errors.ts'
import { splitSql } from './split-sql.ts'

const root = resolve(fileURLToPath(import.meta.url), '../../../clickhouse')
/** Applied in this order; inside each folder by file name (NNN_verb_object.sql). */
export const migrationDirs = [join(root, 'schema'), join(root, 'views')]

const requiresKafka = /^--\s*requires:\s*kafka\s*$/m
const placeholder = /\{\{([A-Z_]+)\}\}/g

export interface MigrationOptions {
  /** Substitutions for `{{NAME}}` placeholders; files marked `-- requires: kafka` run only when `kafka` is set. */
  kafka?: { brokers: string[]; topicPrefix: string; groupName?: string }
  dirs?: string[]
  log?: (msg: string, fields?: Record<string, unknown>) => void
}

export interface MigrationFile {
  name: string
  path: string
  sql: string
  checksum: string
  needsKafka: boolean
}

/** Comment-only lines (`-- …`) are left out of the checksum, except directives such as `-- requires: kafka`. */
const commentLine = /^[ \t]*--(?![ \t]*requires:).*(\r?\n|$)/gm
const checksumPrefix = 'v2:'

/** The checksum recorded for an applied file: its SQL without comment lines, so fixing a comment is not an edit. */
export function migrationChecksum(sql: string): string {
  return checksumPrefix + sha256(sql.replace(commentLine, ''))
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * Checksums recorded before comment lines were left out (sha256 of the whole file), of
 * versions that differ from today's file only in comments. Data directories migrated then
 * hold these; an unchanged file's old checksum is recognised without being listed here.
 */
export const commentOnlyEdits: Readonly<Record<string, readonly string[]>> = {
  // The first comment line pointed at a document outside the repository; now docs/events.md.
  'schema/001_create_raw_tables.sql': ['b9fb7b09592534feb6521c715fcf6a54aee943c097737ef1c50f031bc131c471'],
}

/** Whether a recorded checksum (either form) still describes `file`. */
export function checksumMatches(recorded: string, file: MigrationFile): boolean {
  if (recorded.startsWith(checksumPrefix)) return recorded === file.checksum
  return recorded === sha256(file.sql) || (commentOnlyEdits[file.name]?.includes(recorded) ?? false)
}

export function readMigrations(dirs = migrationDirs): MigrationFile[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
      .sort()
      .map((f) => {
        const sql = readFileSync(join(dir, f), 'utf8')
        return {
          name: `${dir.split('/').at(-1)}/${f}`,
          path: join(dir, f),
          sql,
          checksum: migrationChecksum(sql),
          needsKafka: requiresKafka.test(sql),
        }
      }),
  )
}

/**
 * Applies pending migrations in order and records each with its checksum. An applied
 * file whose SQL changed (comment lines aside) stops start-up naming the file (migrations
 * are append-only).
 */
export async function applyMigrations(ch: ClickHouseClient, options: MigrationOptions = {}): Promise<string[]> {
  // Checked first so a replica with a read-only user starts on an up-to-date schema (no DDL at all).
  const exists = await ch.query({ query: 'EXISTS TABLE livehouse_migrations', format: 'JSONCompactEachRow' }).then((r) => r.json<[number]>())
  if (!exists[0]?.[0]) {
    await ch.command({
      query: `CREATE TABLE IF NOT EXISTS livehouse_migrations
        (name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
        ENGINE = MergeTree ORDER BY name`,
    })
  }
  const rs = await ch.query({ query: 'SELECT name, checksum FROM livehouse_migrations', format: 'JSONEachRow' })
  const applied = new Map((await rs.json<{ name: string; checksum: string }>()).map((r) => [r.name, r.checksum]))
  const vars = placeholderValues(options.kafka)
  const done: string[] = []
  for (const file of readMigrations(options.dirs)) {
    const previous = applied.get(file.name)
    if (previous !== undefined) {
      if (!checksumMatches(previous, file)) {
        throw new AppError(
          500,
          'MIGRATION_EDITED',
          `migration ${file.name} was edited after it was applied (checksum ${previous.slice(0, 15)} → ${file.checksum.slice(0, 15)}); ` +
            'migrations are append-only: restore the file and add a new one (comment lines may change)',
          { details: { file: file.name } },
        )
      }
      continue
    }
    if (file.needsKafka && !options.kafka) continue
    for (const statement of splitSql(substitute(file, vars))) {
      try {
        await ch.command({ query: statement })
      } catch (cause) {
        throw new AppError(500, 'MIGRATION_FAILED', `migration ${file.name} failed: ${(cause as Error).message}`, { cause, details: { file: file.name } })
      }
    }
    await ch.insert({ table: 'livehouse_migrations', values: [{ name: file.name, checksum: file.checksum }], format: 'JSONEachRow' })
    options.log?.('migration applied', { name: file.name })
    done.push(file.name)
  }
  return done
}

function placeholderValues(kafka: MigrationOptions['kafka']): Record<string, string> {
  if (!kafka) return {}
  const topic = (stream: string) => `${kafka.topicPrefix}${stream}`
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_GROUP: kafka.groupName ?? 'livehouse-clickhouse',
    KAFKA_TOPIC_TRADES: topic('trades'),
    KAFKA_TOPIC_ORDERS: topic('orders'),
    KAFKA_TOPIC_WEB_EVENTS: topic('web_events'),
  }
}

function substitute(file: MigrationFile, vars: Record<string, string>): string {
  return file.sql.replace(placeholder, (_, key: string) => {
    const value = vars[key]
    if (value === undefined) throw new Error(`migration ${file.name}: unknown placeholder {{${key}}}`)
    return value.replace(/'/g, "\\'")
  })
}
