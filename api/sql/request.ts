import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import { sqlError } from './errors.ts'
import { bearerToken } from '../http/middleware.ts'

/** What one HTTP request to the port asks for, read the way ClickHouse's HTTP interface reads it. */
export interface SqlRequest {
  query: string
  params: Record<string, string>
  settings: Record<string, string>
  /** From the URL, form or X-ClickHouse-Format; a FORMAT clause wins over it. */
  format?: string
  database?: string
  queryId?: string
  sessionId?: string
  sessionTimeoutS?: number
  sessionCheck: boolean
  /** `compress=1`: ClickHouse-framed LZ4 response. */
  compress: boolean
  /** The Native protocol revision the client reads (clickhouse-go sends it); 0 = none. */
  clientProtocolVersion: number
  user: string
  password: string
}

export interface RequestLimits {
  maxQueryBytes: number
  maxParams: number
  maxSettings: number
}

/** URL keys the HTTP interface consumes itself; any other key is a setting (or param_*). */
const httpKeys = new Set(['query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'user', 'password', 'quota_key', 'compress', 'decompress', 'buffer_size', 'role', 'client_protocol_version', 'stacktrace', 'extremes_in_http'])

export async function readSqlRequest(req: Request, limits: RequestLimits): Promise<SqlRequest> {
  const url = new URL(req.url)
  const out: SqlRequest = { query: '', params: {}, settings: {}, sessionCheck: false, compress: false, clientProtocolVersion: 0, user: 'default', password: '' }
  let paramCount = 0
  let settingCount = 0
  const take = (k: string, v: string) => {
    if (k.startsWith('param_')) {
      if (++paramCount > limits.maxParams) throw sqlError('BAD_ARGUMENTS', `Too many query parameters: at most ${limits.maxParams} on the analyst port`)
      out.params[k.slice(6)] = v
      return
    }
    switch (k) {
      case 'query': out.query = v; return
      case 'database': out.database = v; return
      case 'default_format': out.format = v; return
      case 'query_id': out.queryId = v; return
      case 'session_id': out.sessionId = v; return
      case 'session_timeout': out.sessionTimeoutS = Number(v); return
      case 'session_check': out.sessionCheck = v === '1'; return
      case 'client_protocol_version': out.clientProtocolVersion = Number(v) || 0; return
      case 'compress': out.compress = v === '1'; return
      case 'user': out.user = v; return
      case 'password': out.password = v; return
      case 'decompress': if (v === '1') throw sqlError('NOT_IMPLEMENTED', 'decompress=1 (a ClickHouse-compressed request body) is not supported by the analyst port: send Content-Encoding gzip, deflate, br or zstd'); return
    }
    if (httpKeys.has(k)) return
    if (++settingCount > limits.maxSettings) throw sqlError('BAD_ARGUMENTS', `Too many settings: at most ${limits.maxSettings}`)
    out.settings[k] = v
  }
  for (const [k, v] of url.searchParams) take(k, v)
  const header = (name: string) => req.headers.get(name) ?? undefined
  out.format = header('x-clickhouse-format') ?? out.format
  out.database = header('x-clickhouse-database') ?? out.database
  Object.assign(out, headerCredentials(req.headers))
  if (req.method === 'POST') {
    const type = header('content-type') ?? ''
    if (type.startsWith('multipart/form-data')) {
      const form = await req.formData()
      for (const [k, v] of form as unknown as Iterable<[string, FormDataEntryValue]>) {
        if (typeof v !== 'string') throw sqlError('NOT_IMPLEMENTED', 'External tables (multipart file parts) are not supported by the analyst port')
        take(k, v)
      }
    } else {
      const body = await readBody(req, limits.maxQueryBytes)
      if (body) out.query = out.query ? `${out.query}\n${body}` : body
    }
  }
  if (Buffer.byteLength(out.query) > limits.maxQueryBytes) throw sqlError('SYNTAX_ERROR', `Max query size exceeded: the analyst port takes at most ${limits.maxQueryBytes} bytes`)
  if (out.query.includes('\0')) throw sqlError('SYNTAX_ERROR', 'Syntax error: the query contains a NUL byte')
  return out
}

/** The credentials a ClickHouse client sends in headers: X-ClickHouse-User/-Key, Basic, or a Bearer token (as the password). */
export function headerCredentials(headers: Headers): { user?: string; password?: string } {
  const out: { user?: string; password?: string } = {}
  const user = headers.get('x-clickhouse-user')
  const key = headers.get('x-clickhouse-key')
  if (user) out.user = user
  if (key) out.password = key
  const auth = headers.get('authorization') ?? ''
  const basic = /^Basic\s+(\S+)$/i.exec(auth)
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString()
    const i = decoded.indexOf(':')
    ;[out.user, out.password] = i < 0 ? [decoded, ''] : [decoded.slice(0, i), decoded.slice(i + 1)]
  }
  const bearer = bearerToken(auth)
  if (bearer) out.password = bearer
  return out
}

type Decoder = (b: Buffer, o: zlib.ZlibOptions) => Promise<Buffer>
const decoders: Record<string, Decoder> = {
  gzip: promisify(zlib.gunzip) as Decoder,
  'x-gzip': promisify(zlib.gunzip) as Decoder,
  deflate: promisify(zlib.inflate) as Decoder,
  br: promisify(zlib.brotliDecompress) as Decoder,
  // Node ≥ 22.15 decodes zstd; on older Node the encoding is refused like lz4.
  ...('zstdDecompress' in zlib ? { zstd: promisify((zlib as unknown as { zstdDecompress: typeof zlib.gunzip }).zstdDecompress) as Decoder } : {}),
}

/**
 * The request body as text, decoded per Content-Encoding and capped (also after decoding, so a
 * small compressed bomb is refused). An encoding the port cannot decode is refused with 415 and
 * is never run as SQL (clickhouse-connect's compressed inserts were, once).
 */
export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const raw = Buffer.from(await req.arrayBuffer())
  const encoding = (req.headers.get('content-encoding') ?? '').trim().toLowerCase()
  if (!encoding || encoding === 'identity') return raw.toString('utf8')
  const decode = decoders[encoding]
  if (!decode) throw sqlError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding.slice(0, 32)} is not supported by the analyst port (gzip, deflate, br${decoders.zstd ? ', zstd' : ''})`)
  try {
    return (await decode(raw, { maxOutputLength: maxBytes + 1 })).toString('utf8')
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw sqlError('SYNTAX_ERROR', `Max query size exceeded: the analyst port takes at most ${maxBytes} bytes`)
    throw sqlError('CANNOT_DECOMPRESS', `Cannot decompress the request body as ${encoding}: it is not valid ${encoding} data`)
  }
}
