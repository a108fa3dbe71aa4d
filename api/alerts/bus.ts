// Alerts and rule changes between the parts of one gateway and, with Redis, between gateway
// replicas: an alert fired on the replica leading a channel reaches SSE and WebSocket clients
// connected to any replica, and a rule saved on one replica is evaluated by whichever leads
// its channel.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { redisKeyPrefix } from '../cache/redis.ts'
import type { Logger } from '../log.ts'
import type { Alert } from './schema.ts'

export type AlertListener = (alert: Alert) => void

export interface AlertBus {
  /** Recorded alerts: to this gateway's listeners now, and to the other replicas. */
  publish(alerts: Alert[]): void
  /** The alerts of one owner, recorded on any replica from now on. */
  subscribe(owner: string, listener: AlertListener): () => void
  /** Every alert, of any owner (cooldown bookkeeping). */
  onAny(listener: AlertListener): void
  /** Tells the other replicas a rule changed (they reload it). */
  ruleChanged(owner: string, id: string): void
  onRuleChanged(listener: (owner: string, id: string) => void): void
  subscribers(): number
  close(): Promise<void>
}

export function createAlertBus(o: { redisUrl?: string; namespace?: string; log: Logger }): AlertBus {
  const me = randomUUID()
  const byOwner = new Map<string, Set<AlertListener>>()
  const any: AlertListener[] = []
  const ruleListeners: ((owner: string, id: string) => void)[] = []
  let count = 0
  const prefix = `${redisKeyPrefix(o.namespace)}livehouse:alerts:`
  const channels = { fired: `${prefix}fired`, rules: `${prefix}rules` }
  const connect = () => {
    const c = new Redis(o.redisUrl!, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 })
    c.on('error', (error) => o.log.debug('alerts redis error', { error }))
    return c
  }
  const pub = o.redisUrl ? connect() : undefined
  const sub = o.redisUrl ? connect() : undefined

  function deliver(alerts: Alert[]) {
    for (const a of alerts) {
      for (const l of any) l(a)
      for (const l of byOwner.get(a.owner) ?? []) {
        try {
          l(a)
        } catch (error) {
          o.log.warn('alert listener failed', { error })
        }
      }
    }
  }

  if (sub) {
    void sub.subscribe(channels.fired, channels.rules).catch((error) => o.log.warn('alerts redis subscribe failed', { error }))
    sub.on('message', (channel: string, message: string) => {
      try {
        const m = JSON.parse(message) as { node: string; alerts?: Alert[]; owner?: string; id?: string }
        if (m.node === me) return
        if (channel === channels.fired && m.alerts) deliver(m.alerts)
        if (channel === channels.rules && m.owner && m.id) for (const l of ruleListeners) l(m.owner, m.id)
      } catch (error) {
        o.log.warn('alerts bus message dropped', { error })
      }
    })
  }

  const send = (channel: string, body: object) =>
    pub?.publish(channel, JSON.stringify({ node: me, ...body })).catch((error) => o.log.warn('alerts bus publish failed', { error }))

  return {
    publish(alerts) {
      if (!alerts.length) return
      deliver(alerts)
      void send(channels.fired, { alerts })
    },
    subscribe(owner, listener) {
      let set = byOwner.get(owner)
      if (!set) byOwner.set(owner, (set = new Set()))
      set.add(listener)
      count++
      return () => {
        if (!set.delete(listener)) return
        count--
        if (!set.size && byOwner.get(owner) === set) byOwner.delete(owner)
      }
    },
    onAny: (l) => void any.push(l),
    ruleChanged: (owner, id) => void send(channels.rules, { owner, id }),
    onRuleChanged: (l) => void ruleListeners.push(l),
    subscribers: () => count,
    async close() {
      sub?.disconnect()
      await pub?.quit().catch(() => pub.disconnect())
    },
  }
}
