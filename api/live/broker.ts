// The broker seam: what runs the gateway's live queries and hands it every change. In one
// process that is the scheduler itself; with replicas on one Redis it is replication.ts, which
// runs each query on one gateway (the lease holder) and relays its frames to all. Both meet
// this interface, and one suite (broker.test.ts) checks both.
import type { LiveQuery } from './live-query.ts'
import { createScheduler, type Scheduler, type SchedulerOptions } from './scheduler.ts'

export interface LiveBroker extends Scheduler {
  /** Whether this gateway runs the channel's query (replicas mirror the others); absent = always. */
  leads?(topic: string): boolean
}

/**
 * What a broker gets from the gateway. `onChange` receives the changes this process computes;
 * `deliver` fans an encoded DELTA of `lq` out to this gateway's watchers (a broker that relays
 * frames, like replication, calls it for every change on every gateway). `onTicked` hears
 * every tick of a channel this gateway leads, changed or not, and only those (replicas that
 * mirror a channel never call it for that channel).
 */
export type BrokerOptions = SchedulerOptions & { deliver(lq: LiveQuery, frame: Uint8Array): void }

export type BrokerFactory = (o: BrokerOptions) => LiveBroker

/** In-process: the scheduler runs every watched query and its changes are this gateway's. */
export const createMemoryBroker: BrokerFactory = (o) => createScheduler(o)

export const leadsChannel = (b: LiveBroker, topic: string) => b.leads?.(topic) ?? true
