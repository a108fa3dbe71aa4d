// What happens to a fired alert: it gets its delivery sequence number and goes out at once
// (SSE, WebSocket, other replicas, webhooks) while it is written to the alerts history; a
// resumption reads the table and the recently delivered alerts (recent.ts), so the INSERT is
// not on the alert's path and a resuming client still misses nothing. Evaluation only queues.
import type { Logger } from '../log.ts'
import type { AlertBus } from './bus.ts'
import type { Alert, Rule } from './schema.ts'
import type { RuleStore } from './store.ts'
import type { Webhooks } from './webhooks.ts'

export interface Recorder {
  record(alert: Alert, rule: Rule): void
  /** Alerts waiting to be written. */
  pending(): number
  /** Writes what is queued (at most `timeoutMs`). */
  flush(timeoutMs?: number): Promise<void>
}

export function createRecorder(o: {
  store: Pick<RuleStore, 'insertAlerts'>
  bus: AlertBus
  webhooks: Webhooks
  log: Logger
  /** Alerts kept waiting while ClickHouse refuses writes; the oldest are dropped beyond it. */
  maxPending?: number
  retryMs?: number
  /** Every alert fired here (livehouse_alerts_fired_total). */
  onFired?(n: number): void
}): Recorder {
  const maxPending = o.maxPending ?? 100_000
  let queue: { alert: Alert; rule: Rule }[] = []
  let outgoing: { alert: Alert; rule: Rule }[] = []
  let lastSeq = 0
  let running: Promise<void> | undefined

  /** µs since the epoch, strictly increasing here: the SSE event id and the resumption order. */
  const nextSeq = () => (lastSeq = Math.max(lastSeq + 1, Date.now() * 1000))

  async function drain() {
    while (queue.length) {
      const batch = queue
      queue = []
      try {
        await o.store.insertAlerts(batch.map((b) => b.alert))
      } catch (error) {
        o.log.error('alerts not written yet; retrying', { alerts: batch.length, error })
        queue = [...batch, ...queue].slice(-maxPending)
        await new Promise((r) => setTimeout(r, o.retryMs ?? 1000))
        continue
      }
    }
  }

  /** Alerts fired in one tick go out together: one bus message (one Redis PUBLISH) for all of them. */
  function send() {
    const batch = outgoing
    outgoing = []
    o.bus.publish(batch.map((b) => b.alert))
    for (const b of batch) if (b.rule.notify.length) o.webhooks.enqueue(b.alert, b.rule)
  }

  const kick = () => {
    running ??= drain().finally(() => {
      running = undefined
      if (queue.length) kick()
    })
  }

  return {
    record(alert, rule) {
      alert.seq = nextSeq()
      o.onFired?.(1)
      if (!outgoing.length) queueMicrotask(send)
      outgoing.push({ alert, rule })
      queue.push({ alert, rule })
      if (queue.length > maxPending) {
        const dropped = queue.splice(0, queue.length - maxPending)
        o.log.error('alerts dropped: too many waiting to be written', { dropped: dropped.length })
      }
      kick()
    },
    pending: () => queue.length,
    async flush(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while ((running || queue.length) && Date.now() < deadline) {
        await Promise.race([running, new Promise((r) => setTimeout(r, Math.max(1, Math.min(50, deadline - Date.now()))))])
      }
    },
  }
}
