// GET /api/v1/alerts/stream: Server-Sent Events, one `event: alert` per fired alert with the
// alert's seq as the event id. A reconnect sends Last-Event-ID and gets every alert recorded
// after it (from the history table and the recently delivered ones) before the live ones; an
// alert arriving while that is read waits and is sent once.
import type { Principal } from '../../core/roles.ts'
import type { AlertBus } from './bus.ts'
import { mergeBySeq, type RecentAlerts } from './recent.ts'
import { alertJson, type Alert } from './schema.ts'
import type { RuleStore } from './store.ts'

export interface StreamOptions {
  principal: Principal
  bus: AlertBus
  store: Pick<RuleStore, 'alertsAfter'>
  /** Alerts delivered lately, maybe not written yet. */
  recent: RecentAlerts
  /** Whether this caller may see this alert (its token's entitlements). */
  mayReceive(p: Principal, a: Alert): boolean
  /** seq of the last event the client got, or undefined for live alerts only. */
  lastEventId?: number
  /** Replicas: alerts recorded elsewhere up to this many µs before Last-Event-ID are sent again (their clocks differ). */
  graceUs: number
  heartbeatMs: number
  /** Buffered bytes above which a client that does not read is dropped (it reconnects and resumes). */
  maxBufferedBytes: number
  signal: AbortSignal
  onClose(): void
  onError(error: unknown): void
}

/** Alerts a resume sends at most; the history API has the rest. */
export const maxReplay = 10_000
const replayPage = 1000

export function alertStream(o: StreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const sent = new Set<string>()
  const waiting: Alert[] = []
  let live = o.lastEventId === undefined
  let closed = false
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let unsubscribe = () => {}
  let heartbeat: NodeJS.Timeout | undefined

  const write = (text: string) => {
    if (closed) return
    controller.enqueue(encoder.encode(text))
    if ((controller.desiredSize ?? 0) < 0) close(true)
  }

  function send(a: Alert) {
    if (sent.has(a.id) || !o.mayReceive(o.principal, a)) return
    sent.add(a.id)
    // Ids only matter while a replayed alert may come live too; keep the set small.
    if (sent.size > 2 * maxReplay) sent.delete(sent.values().next().value!)
    write(`id: ${a.seq}\nevent: alert\ndata: ${JSON.stringify(alertJson(a))}\n\n`)
  }

  async function replay(after: number) {
    const from = Math.max(0, after - o.graceUs)
    const written: Alert[] = []
    for (let cursor = from; written.length < maxReplay && !closed;) {
      const page = await o.store.alertsAfter(o.principal.sub, cursor, replayPage)
      written.push(...page)
      if (page.length < replayPage) break
      cursor = page[page.length - 1].seq
    }
    for (const a of mergeBySeq(written, o.recent.after(o.principal.sub, from)).slice(0, maxReplay)) send(a)
  }

  function close(fromServer = false) {
    if (closed) return
    closed = true
    clearInterval(heartbeat)
    unsubscribe()
    o.signal.removeEventListener('abort', onAbort)
    o.onClose()
    if (fromServer) {
      try {
        controller.close()
      } catch { /* already closed by the reader */ }
    }
  }
  const onAbort = () => close(true)

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
      // Two chunks at once: the transport sends headers once it has more than one chunk or the end.
      write('retry: 2000\n\n')
      write(': livehouse alerts\n\n')
      unsubscribe = o.bus.subscribe(o.principal.sub, (a) => (live ? send(a) : waiting.push(a)))
      heartbeat = setInterval(() => write(': ping\n\n'), o.heartbeatMs)
      heartbeat.unref()
      if (o.signal.aborted) return close(true)
      o.signal.addEventListener('abort', onAbort)
      if (o.lastEventId !== undefined) {
        replay(o.lastEventId)
          .catch((error) => {
            o.onError(error)
            write(': resumption failed; some alerts may be missing (see /api/v1/alerts/history)\n\n')
          })
          .finally(() => {
            live = true
            for (const a of waiting.splice(0)) send(a)
          })
      }
    },
    cancel() {
      close()
    },
  }, { highWaterMark: o.maxBufferedBytes, size: (chunk) => chunk.byteLength })
}
