// The alerts' series on the process's Prometheus registry (docs/operations.md lists them).
import { Counter, Gauge, type Registry } from 'prom-client'
import type { WebhookOutcome } from './webhooks.ts'

export interface AlertGauges {
  rules(): number
  channels(): number
  streams(): number
  webhooksPending(): number
  writesPending(): number
}

export function createAlertMetrics(registry: Registry | undefined, gauges: AlertGauges) {
  const registers = registry ? [registry] : []
  const fired = new Counter({ name: 'livehouse_alerts_fired_total', help: 'Alerts this gateway fired (the replica leading the channel fires).', registers })
  const evaluation = new Counter({ name: 'livehouse_alert_evaluation_seconds_total', help: 'Time spent evaluating alert rules on live ticks (part of the tick time).', registers })
  const webhooks = new Counter({ name: 'livehouse_alert_webhook_deliveries_total', help: 'Webhook attempts by outcome: ok, retry, failed (gave up), refused (address not allowed), dropped (queue full).', labelNames: ['outcome'] as const, registers })
  for (const outcome of ['ok', 'retry', 'failed', 'refused', 'dropped'] as const) webhooks.inc({ outcome }, 0)
  const gauge = (name: string, help: string, read: () => number) => new Gauge({ name, help, registers, collect() { this.set(read()) } })
  gauge('livehouse_alert_rules', 'Alert rules loaded on this gateway.', gauges.rules)
  gauge('livehouse_alert_channels', 'Live channels alert rules watch (one per distinct channel topic).', gauges.channels)
  gauge('livehouse_alert_streams', 'Open alert SSE streams.', gauges.streams)
  gauge('livehouse_alert_webhooks_pending', 'Webhook deliveries queued, waiting to retry or in flight.', gauges.webhooksPending)
  gauge('livehouse_alert_writes_pending', 'Fired alerts waiting to be written to the alerts table.', gauges.writesPending)
  return {
    fired: (n: number) => fired.inc(n),
    evaluated: (ms: number) => evaluation.inc(ms / 1000),
    webhook: (outcome: WebhookOutcome) => webhooks.inc({ outcome }),
  }
}
