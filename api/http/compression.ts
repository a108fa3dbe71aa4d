// Response compression (br or gzip, from Accept-Encoding) with Node's zlib. Callers compress a
// body once and keep the bytes with whatever they cache (the catalog's cache entry, the UI's
// files), so an answer served again costs no compression: hono/compress would redo it per
// response, and only with gzip/deflate.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

export type Encoding = 'br' | 'gzip'

/** Bodies smaller than this go out as they are: headers and framing would eat the gain. */
export const minCompressBytes = 1024

/**
 * The encoding to answer with for an Accept-Encoding header: br or gzip, the higher q first, br
 * on a tie (smaller for text); `*` stands for both; none listed (or q=0) → undefined (identity).
 */
export function pickEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined
  const q: Record<string, number> = {}
  for (const entry of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = entry.split(';').map((p) => p.trim())
    if (!name) continue
    const qParam = params.find((p) => /^q\s*=/.test(p))
    const value = qParam === undefined ? 1 : Number(qParam.slice(qParam.indexOf('=') + 1))
    q[name] = Number.isFinite(value) ? value : 0
  }
  const of = (e: Encoding) => q[e] ?? q['*'] ?? 0
  const [br, gzip] = [of('br'), of('gzip')]
  if (br <= 0 && gzip <= 0) return undefined
  return br >= gzip ? 'br' : 'gzip'
}

/**
 * `bytes` compressed with `encoding`. `effort` 'once': bodies compressed once and served many
 * times (UI assets, OpenAPI): the smallest output. 'answer': per cached answer, quick enough to
 * stay a small part of a miss (brotli quality 5, gzip level 6).
 */
export function compressBytes(bytes: Uint8Array, encoding: Encoding, effort: 'once' | 'answer' = 'answer'): Uint8Array {
  const out = encoding === 'br'
    ? brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: effort === 'once' ? constants.BROTLI_MAX_QUALITY : 5,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    })
    : gzipSync(bytes, { level: effort === 'once' ? constants.Z_BEST_COMPRESSION : constants.Z_DEFAULT_COMPRESSION })
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

/**
 * A body ready to send for a request's Accept-Encoding: the compressed bytes and their headers
 * (Vary always: a cache between us and the client must key on the header), or the bytes as they
 * are when small or not accepted. `memo` keeps compressed bytes per encoding across requests.
 */
export function encodedBody(bytes: Uint8Array, acceptEncoding: string | undefined, memo?: Map<string, Uint8Array>, effort: 'once' | 'answer' = 'answer', memoPrefix = '') {
  const headers: Record<string, string> = { vary: 'accept-encoding' }
  const encoding = bytes.length >= minCompressBytes ? pickEncoding(acceptEncoding) : undefined
  if (!encoding) return { bytes, headers }
  const key = `${memoPrefix}${encoding}`
  let out = memo?.get(key)
  if (!out) {
    out = compressBytes(bytes, encoding, effort)
    memo?.set(key, out)
  }
  headers['content-encoding'] = encoding
  return { bytes: out, headers }
}
