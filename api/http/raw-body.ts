import type { Context } from 'hono'

/**
 * A Response whose whole body is known bytes. Node's Response builds a ReadableStream
 * for every body in its constructor, and the transport then reads it back through a
 * reader: on a cached answer that was the largest single cost. This one is built
 * without a body; the transport writes `knownBytes` directly, and anything else that reads
 * the body (app.request() in tests, a middleware re-wrapping the response) gets a real
 * stream made on first use.
 */
export class BytesResponse extends Response {
  readonly knownBytes: Uint8Array
  #real?: Response

  constructor(bytes: Uint8Array, init: ResponseInit) {
    super(null, init)
    this.knownBytes = bytes
  }

  #body(): Response {
    return (this.#real ??= new Response(this.knownBytes as Uint8Array<ArrayBuffer>))
  }

  override get body() {
    return this.#body().body
  }
  override get bodyUsed() {
    return this.#real?.bodyUsed ?? false
  }
  override arrayBuffer() {
    return this.#body().arrayBuffer()
  }
  override bytes() {
    return this.#body().bytes()
  }
  override blob() {
    return this.#body().blob()
  }
  override formData() {
    return this.#body().formData()
  }
  override json() {
    return this.#body().json()
  }
  override text() {
    return this.#body().text()
  }
  override clone(): Response {
    return new BytesResponse(this.knownBytes, { status: this.status, statusText: this.statusText, headers: this.headers })
  }
}

/** `c.body(bytes, …)` (with the headers middlewares prepared) as a BytesResponse. */
export function bytesBody(c: Context, bytes: Uint8Array, status: 200, headers: Record<string, string>): Response {
  const prepared = c.body(null, status, headers)
  return new BytesResponse(bytes, { status, headers: prepared.headers })
}

/** The bytes of a BytesResponse whose body stream nobody has touched. */
export function knownBody(response: Response): Uint8Array | undefined {
  return response instanceof BytesResponse && !response.bodyUsed ? response.knownBytes : undefined
}
