// A small Server-Sent Events reader for tests and the benchmark: fetch + the event-stream
// grammar (id, event, data, comments), with the receive time of every event.

export interface SseEvent {
  id?: string
  event: string
  data: string
  receivedAt: number
}

export interface SseClient {
  status: number
  events: SseEvent[]
  /** Alert payloads received so far. */
  alerts(): Record<string, any>[]
  closed: Promise<void>
  close(): void
  onEvent?: (e: SseEvent) => void
}

export async function openSse(url: string, o: { token?: string; lastEventId?: string; query?: boolean } = {}): Promise<SseClient> {
  const u = new URL(url)
  const headers: Record<string, string> = { accept: 'text/event-stream' }
  if (o.token && o.query) u.searchParams.set('access_token', o.token)
  else if (o.token) headers.authorization = `Bearer ${o.token}`
  if (o.lastEventId) headers['last-event-id'] = o.lastEventId
  const abort = new AbortController()
  const res = await fetch(u, { headers, signal: abort.signal })
  const client: SseClient = {
    status: res.status,
    events: [],
    alerts: () => client.events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data)),
    closed: Promise.resolve(),
    close: () => abort.abort(),
  }
  if (res.status !== 200 || !res.body) {
    ;(client as SseClient & { body?: string }).body = await res.text().catch(() => '')
    return client
  }
  client.closed = (async () => {
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end)
          buf = buf.slice(end + 2)
          const e = parseBlock(block)
          if (e) (client.events.push(e), client.onEvent?.(e))
        }
      }
    } catch {
      /* aborted */
    }
  })()
  return client
}

function parseBlock(block: string): SseEvent | undefined {
  const e: SseEvent = { event: 'message', data: '', receivedAt: Date.now() }
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue
    const i = line.indexOf(':')
    const field = i < 0 ? line : line.slice(0, i)
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '')
    if (field === 'id') e.id = value
    else if (field === 'event') e.event = value
    else if (field === 'data') data.push(value)
  }
  if (!data.length) return undefined
  e.data = data.join('\n')
  return e
}
