// POST /v1/events/{stream}: the HTTP door to ingestion (ingest/ingestor.ts), wired by the composition root.
import { Hono } from 'hono'
import { AppError } from '../../core/errors.ts'
import { isStream, streams } from '../../core/events.ts'
import type { Ingestor } from '../../ingest/ingestor.ts'
import type { Auth } from '../auth.ts'
import { decodeUtf8, readBody } from '../http/body.ts'
import { requireRole, type AppEnv } from '../http/middleware.ts'

export interface IngestRouteDeps {
  auth: Auth
  /** The one ingestor of the process (the demo generator shares it). */
  ingestor: Ingestor
  maxBodyBytes: number
}

const ndjsonTypes = /^(application\/(x-)?ndjson|application\/jsonl|application\/x-jsonlines|application\/json|text\/plain)\s*(;|$)/i

export function createIngestRoutes(deps: IngestRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.post('/v1/events/:stream', requireRole(deps.auth, ['ingest']), async (c) => {
    const stream = c.req.param('stream')
    if (!isStream(stream)) throw new AppError(404, 'UNKNOWN_STREAM', `stream must be one of ${streams.join(', ')}`)
    const type = c.req.header('content-type') ?? 'application/x-ndjson'
    if (!ndjsonTypes.test(type)) throw new AppError(400, 'UNSUPPORTED_CONTENT_TYPE', 'send NDJSON as application/x-ndjson')
    const text = decodeUtf8(await readBody(c.req.raw, deps.maxBodyBytes))
    if (text.trim() === '') throw new AppError(400, 'EMPTY_BODY', 'the body holds no events')
    return c.json(await deps.ingestor.text(stream, text))
  })
  return app
}
