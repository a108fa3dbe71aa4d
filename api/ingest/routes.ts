// POST /v1/events/{stream}: the HTTP door to ingestion (ingest/ingestor.ts), wired by the composition root.
import { Hono, type Context } from 'hono'
import { createHash } from 'node:crypto'
import { AppError } from '../../core/errors.ts'
import { isStream, streams, type Stream } from '../../core/events.ts'
import type { Ingestor } from '../../ingest/ingestor.ts'
import type { Auth } from '../auth.ts'
import { decodeUtf8, readBody } from '../http/body.ts'
import { requireRole, type AppEnv } from '../http/middleware.ts'
import type { Logger } from '../log.ts'
import type { AdmissionControl } from './admission.ts'
import type { Claim, IdempotencyStore } from './idempotency.ts'

export interface IngestRouteDeps {
  auth: Auth
  /** The one ingestor of the process (the demo generator shares it). */
  ingestor: Ingestor
  maxBodyBytes: number
  /** Where first answers of requests with an Idempotency-Key are kept. */
  idempotency: IdempotencyStore
  /** Sheds ingestion under overload (admission.ts): throws 503 OVERLOADED for a refused request. */
  admission?: Pick<AdmissionControl, 'admit'>
  log?: Logger
}

const ndjsonTypes = /^(application\/(x-)?ndjson|application\/jsonl|application\/x-jsonlines|application\/json|text\/plain)\s*(;|$)/i
/** Printable ASCII, as Stripe and the IETF draft take it (a UUID fits). */
const idempotencyKeyRe = /^[\x21-\x7e]{1,255}$/

/** Reads a body to its end, keeping nothing (the transport caps its size). */
async function drain(req: Request) {
  if (req.body) for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) void chunk
}

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex')

export function createIngestRoutes(deps: IngestRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.post('/v1/events/:stream', requireRole(deps.auth, ['ingest']), async (c) => {
    const stream = c.req.param('stream')
    if (!isStream(stream)) throw new AppError(404, 'UNKNOWN_STREAM', `stream must be one of ${streams.join(', ')}`)
    const type = c.req.header('content-type') ?? 'application/x-ndjson'
    if (!ndjsonTypes.test(type)) throw new AppError(400, 'UNSUPPORTED_CONTENT_TYPE', 'send NDJSON as application/x-ndjson')
    const key = c.req.header('idempotency-key')
    if (key !== undefined && !idempotencyKeyRe.test(key)) throw new AppError(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1–255 printable ASCII characters')
    await admit(c.req.raw)
    const text = decodeUtf8(await readBody(c.req.raw, deps.maxBodyBytes))
    if (text.trim() === '') throw new AppError(400, 'EMPTY_BODY', 'the body holds no events')
    if (key === undefined) return c.json(await deps.ingestor.text(stream, text))
    return idempotent(c, stream, key, text)
  })

  /**
   * Under overload a share of requests is refused before its body is parsed. The body is still
   * read to its end (and dropped), so the producer gets the 503 on an intact connection.
   */
  async function admit(req: Request) {
    try {
      deps.admission?.admit()
    } catch (e) {
      await drain(req).catch(() => {})
      throw e
    }
  }

  /** The first answer for this caller, stream and key; or this request's, stored as the first. */
  async function idempotent(c: Context<AppEnv>, stream: Stream, key: string, text: string) {
    // Scoped by caller and stream: two producers choosing the same key never see each other's answers.
    const scope = sha256(c.get('principal').sub, stream, key).slice(0, 32)
    const claim = await begin(scope, sha256(text))
    if (claim.kind === 'done') return c.json(JSON.parse(claim.answer), 200, { 'Idempotent-Replayed': 'true' })
    if (claim.kind === 'mismatch') throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different body in the last 24 h')
    if (claim.kind === 'busy') throw new AppError(409, 'IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still being processed; retry', { retryAfterS: 1 })
    let answer
    try {
      answer = await deps.ingestor.text(stream, text, { key: scope })
    } catch (e) {
      await claim.release()
      throw e
    }
    await claim.finish(JSON.stringify(answer)).catch((e) => deps.log?.warn('idempotency answer not stored', { error: e }))
    return c.json(answer)
  }

  /**
   * A store that cannot answer (Redis down) does not fail the request: the rows are still
   * stored once by key (ingest/ingest-keys.ts); only the first answer cannot be replayed.
   */
  async function begin(scope: string, fingerprint: string): Promise<Claim> {
    try {
      return await deps.idempotency.begin(scope, fingerprint)
    } catch (e) {
      deps.log?.warn('idempotency store unavailable; the request goes on, its rows still deduplicated by key', { error: e })
      return { kind: 'new', finish: async () => {}, release: async () => {} }
    }
  }
  return app
}
