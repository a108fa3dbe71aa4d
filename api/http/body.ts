import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { AppError } from '../../core/errors.ts'

const gunzipAsync = promisify(gunzip)

/** Error the transport puts into a request body stream that passed its hard size cap. */
export class BodyTooLargeError extends Error {
  constructor() {
    super('request body too large')
  }
}

const tooLarge = (maxBytes: number) =>
  new AppError(413, 'BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, { details: { maxBytes } })

/**
 * Reads a request body into memory, never more than `maxBytes`, gunzipping it when
 * `Content-Encoding: gzip` (the decoded size is capped too, against gzip bombs).
 */
export async function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length') ?? '0')
  if (declared > maxBytes) throw tooLarge(maxBytes)
  const chunks: Uint8Array[] = []
  let size = 0
  if (req.body) {
    try {
      for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength
        if (size > maxBytes) throw tooLarge(maxBytes)
        chunks.push(chunk)
      }
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw tooLarge(maxBytes)
      throw e
    }
  }
  const raw = Buffer.concat(chunks, size)
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase()
  if (encoding === 'identity' || raw.length === 0) return raw
  if (encoding !== 'gzip') throw new AppError(400, 'UNSUPPORTED_ENCODING', 'Content-Encoding must be gzip or identity')
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes)
    throw new AppError(400, 'INVALID_BODY', 'the body is not valid gzip', { cause: e })
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch (e) {
    throw new AppError(400, 'INVALID_BODY', 'the body is not valid UTF-8', { cause: e })
  }
}
