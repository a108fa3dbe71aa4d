import { Readable } from 'node:stream'
import * as zlib from 'node:zlib'

type Encoder = () => zlib.Gzip | zlib.Deflate | zlib.BrotliCompress
const encoders: Record<string, (level: number) => Encoder> = {
  gzip: (level) => () => zlib.createGzip({ level }),
  deflate: (level) => () => zlib.createDeflate({ level }),
  br: () => () => zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }),
}

/**
 * `enable_http_compression=1` with Accept-Encoding, as ClickHouse's server does it: the first
 * encoding the client accepts that the port can write (gzip, deflate, br), else identity.
 */
export function compressResponse(body: ReadableStream<Uint8Array>, headers: Headers, acceptEncoding: string | undefined, settings: Record<string, string>): ReadableStream<Uint8Array> {
  if (settings.enable_http_compression !== '1' || !acceptEncoding) return body
  const accepted = acceptEncoding.split(',').map((e) => e.split(';')[0].trim().toLowerCase())
  const name = accepted.find((e) => encoders[e])
  if (!name) return body
  const level = Math.min(9, Math.max(1, Number(settings.http_zlib_compression_level ?? 3) || 3))
  headers.set('content-encoding', name)
  const encoder = encoders[name](level)()
  return Readable.toWeb(Readable.fromWeb(body as never).pipe(encoder)) as ReadableStream<Uint8Array>
}
