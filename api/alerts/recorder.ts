// What happens to a fired alert: it gets its delivery sequence number, is written to the
// alerts history, and only then goes out (SSE, WebSocket, other replicas, webhooks), so a
// client resuming from the history never misses one it was sent. Evaluation only queues.
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
  onRecorded?(n: number): void
}): Recorder {
  const maxPending = o.maxPending ?? 100_000
  let queue: { alert: Alert; rule: Rule }[] = []
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
      o.onRecorded?.(batch.length)
      o.bus.publish(batch.map((b) => b.alert))
      for (const b of batch) if (b.rule.notify.length) o.webhooks.enqueue(b.alert, b.rule)
    }
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
