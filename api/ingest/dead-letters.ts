// Dead letters for admins (issue 17, item 7): list them page by page, and replay them, as stored
// (after a schema fix) or corrected, each at most once (docs/events.md).
import type { ClickHouseClient } from '@clickhouse/client'
import { Hono, type Context } from 'hono'
import { createHash } from 'node:crypto'
import { AppError } from '../../core/errors.ts'
import { isStream, streams, type Stream } from '../../core/events.ts'
import type { Ingestor } from '../../ingest/ingestor.ts'
import type { Auth } from '../auth.ts'
import { decodeUtf8, readBody } from '../http/body.ts'
import { requireRole, type AppEnv } from '../http/middleware.ts'

export interface DeadLetterRouteDeps {
  auth: Auth
  ingestor: Ingestor
  /** A client that may read dead_letters and write dead_letter_replays. */
  clickhouse: ClickHouseClient
}

interface Letter {
  id: string
  stream: string
  source: string
  error_code: string
  error_message: string
  raw: string
  at: string
}

export type ReplayOutcome = 'stored' | 'rejected' | 'already_replayed' | 'not_found'

const maxPage = 1000
const maxReplay = 1000
const idRe = /^[0-9a-f]{32}$/
const codeRe = /^[A-Z_]{1,64}$/

/** A dead letter's unit key: its rows are stored once per id, however often or wherever it is replayed. */
const replayKey = (id: string) => createHash('sha256').update(`dead-letter\n${id}`).digest('hex').slice(0, 32)

export function createDeadLetterRoutes(deps: DeadLetterRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const admin = requireRole(deps.auth, ['admin'])
  const query = async <T>(sql: string, params: Record<string, unknown> = {}) =>
    (await deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json<T>()

  app.get('/api/v1/dead-letters', admin, async (c) => {
    const { where, params, limit } = listFilter(c)
    // `at`, not `received_at`: an alias named like the column would replace it in WHERE and ORDER BY.
    const page = await query<Letter>(
      `SELECT id, stream, source, error_code, error_message, raw, toString(received_at) AS at FROM dead_letters
       WHERE ${where.join(' AND ') || '1'} ORDER BY received_at DESC, id DESC LIMIT {limit:UInt32}`,
      { ...params, limit: limit + 1 },
    )
    const more = page.length > limit
    const letters = page.slice(0, limit)
    const replayed = await replaysOf(letters.map((l) => l.id))
    const last = letters.at(-1)
    return c.json({
      dead_letters: letters.map(({ at, ...l }) => ({ ...l, received_at: at, replayed_at: replayed.get(l.id) ?? null })),
      next_cursor: more && last ? Buffer.from(`${last.at}|${last.id}`).toString('base64url') : null,
    })
  })

  app.post('/api/v1/dead-letters/replay', admin, async (c) => {
    const type = c.req.header('content-type') ?? ''
    const text = decodeUtf8(await readBody(c.req.raw, 16 * 1024 * 1024))
    const requests = /^application\/json\b/i.test(type) ? byId(text) : /ndjson|jsonl|jsonlines/i.test(type) ? corrected(text) : undefined
    if (!requests) throw new AppError(400, 'UNSUPPORTED_CONTENT_TYPE', 'send {"ids": [...]} as application/json, or corrected lines as application/x-ndjson')
    if (requests.length === 0 || requests.length > maxReplay) throw new AppError(400, 'INVALID_REPLAY', `replay 1 to ${maxReplay} dead letters at a time`)
    const results = await replay(requests, c.get('principal').sub)
    const count = (o: ReplayOutcome) => results.filter((r) => r.outcome === o).length
    return c.json({ stored: count('stored'), rejected: count('rejected'), already_replayed: count('already_replayed'), not_found: count('not_found'), results })
  })

  async function replaysOf(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map()
    const found = await query<{ id: string; at: string }>('SELECT id, toString(min(replayed_at)) AS at FROM dead_letter_replays WHERE id IN {ids:Array(String)} GROUP BY id', { ids })
    return new Map(found.map((r) => [r.id, r.at]))
  }

  /** Each request in order: its line ingested under the letter's key, then the replay noted. */
  async function replay(requests: { id: string; line?: string }[], by: string) {
    const ids = [...new Set(requests.map((r) => r.id))]
    const letters = new Map((await query<Letter>('SELECT id, stream, raw FROM dead_letters WHERE id IN {ids:Array(String)} LIMIT 1 BY id', { ids })).map((l) => [l.id, l]))
    const replayed = await replaysOf(ids)
    const done = new Set<string>()
    const results = []
    for (const r of requests) {
      const letter = letters.get(r.id)
      if (!letter || !isStream(letter.stream)) results.push({ id: r.id, outcome: 'not_found' as const })
      else if (replayed.has(r.id) || done.has(r.id)) results.push({ id: r.id, outcome: 'already_replayed' as const })
      else {
        const result = await replayOne(letter.stream, r.id, r.line ?? letter.raw, r.line === undefined ? 'as_stored' : 'corrected', by)
        if (result.outcome === 'stored') done.add(r.id)
        results.push(result)
      }
    }
    return results
  }

  async function replayOne(stream: Stream, id: string, line: string, how: string, by: string) {
    // The original letter stays where it is: a line that fails again writes no second one.
    const answer = await deps.ingestor.text(stream, line, { key: replayKey(id), deadLetters: false })
    if (answer.accepted === 0) return { id, outcome: 'rejected' as const, error: answer.errors[0] ?? { code: 'EMPTY', message: 'the line holds no event' } }
    await deps.clickhouse.insert({ table: 'dead_letter_replays', values: [{ id, stream, how, replayed_by: by }], format: 'JSONEachRow' })
    return { id, outcome: 'stored' as const }
  }
  return app
}

/** The filters of GET /api/v1/dead-letters, as bound parameters. */
function listFilter(c: Context<AppEnv>) {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  const stream = c.req.query('stream')
  if (stream !== undefined) {
    if (!isStream(stream)) throw new AppError(400, 'INVALID_PARAMETER', `stream must be one of ${streams.join(', ')}`)
    where.push('stream = {stream:String}')
    params.stream = stream
  }
  const code = c.req.query('error_code')
  if (code !== undefined) {
    if (!codeRe.test(code)) throw new AppError(400, 'INVALID_PARAMETER', 'error_code must be an UPPER_SNAKE code')
    where.push('error_code = {code:String}')
    params.code = code
  }
  const source = c.req.query('source')
  if (source !== undefined) {
    if (source !== 'http' && source !== 'kafka') throw new AppError(400, 'INVALID_PARAMETER', 'source must be http or kafka')
    where.push('source = {source:String}')
    params.source = source
  }
  for (const [name, op] of [['from', '>='], ['to', '<']] as const) {
    const raw = c.req.query(name)
    if (raw === undefined) continue
    const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
    if (!Number.isFinite(ms)) throw new AppError(400, 'INVALID_PARAMETER', `${name} must be ISO-8601 or epoch milliseconds`)
    where.push(`received_at ${op} fromUnixTimestamp64Milli({${name}:Int64}, 'UTC')`)
    params[name] = ms
  }
  const cursor = c.req.query('cursor')
  if (cursor !== undefined) {
    const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
    if (!at || !idRe.test(id ?? '')) throw new AppError(400, 'INVALID_PARAMETER', 'cursor is not one this API gave')
    where.push('(received_at, id) < (toDateTime64({cursorAt:String}, 3, \'UTC\'), {cursorId:String})')
    Object.assign(params, { cursorAt: at, cursorId: id })
  }
  const limit = Number(c.req.query('limit') ?? 100)
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPage) throw new AppError(400, 'INVALID_PARAMETER', `limit must be 1 to ${maxPage}`)
  return { where, params, limit }
}

/** `{"ids": [...]}`: replay each letter as stored. */
function byId(text: string): { id: string }[] {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new AppError(400, 'MALFORMED_JSON', 'the body is not JSON')
  }
  const ids = (body as { ids?: unknown })?.ids
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && idRe.test(id))) throw new AppError(400, 'INVALID_REPLAY', 'ids must be an array of dead letter ids')
  return ids.map((id: string) => ({ id }))
}

/** NDJSON of `{"id": "<dead letter id>", "event": {…corrected…}}`: replay each letter with its correction. */
function corrected(text: string): { id: string; line: string }[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    let value: { id?: unknown; event?: unknown }
    try {
      value = JSON.parse(l)
    } catch {
      throw new AppError(400, 'INVALID_REPLAY', `line ${i + 1} is not JSON`)
    }
    if (typeof value?.id !== 'string' || !idRe.test(value.id) || typeof value.event !== 'object' || value.event === null) {
      throw new AppError(400, 'INVALID_REPLAY', `line ${i + 1} must be {"id": "<dead letter id>", "event": {…}}`)
    }
    return { id: value.id, line: JSON.stringify(value.event) }
  })
}
