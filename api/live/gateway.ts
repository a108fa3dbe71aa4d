// The live gateway, composed along its seams: transport (api/transport/websocket.ts), the
// protocol session per connection (session.ts, connection.ts), the subscription registry and
// its limits (registry.ts, entities.ts), the broker that runs live queries (broker.ts: in
// process, or replication.ts across replicas), fan-out to sockets (fanout.ts) and server-side
// watchers (watch.ts). Channels pushed per subscription (`alerts`) plug in as PushChannels
// (push-channel.ts). Frames are built by the protocol module (api/protocol).
import type { ClickHouseClient } from '@clickhouse/client'
import type { Auth } from '../auth.ts'
import type { TokenWatch } from '../auth/token-watch.ts'
import type { Logger } from '../log.ts'
import { deltaFrame, type Change, type Limits } from '../protocol/index.ts'
import type { Server } from '../transport/uws.ts'
import type { WebSocketHandler } from '../transport/websocket.ts'
import { createMemoryBroker, type BrokerFactory, type BrokerOptions, type LiveBroker } from './broker.ts'
import type { Connection } from './connection.ts'
import { createEntityIndex } from './entities.ts'
import { createFanout } from './fanout.ts'
import type { PushChannel } from './push-channel.ts'
import type { LiveQuery } from './live-query.ts'
import { createRegistry, type AdmissionLimits } from './registry.ts'
import { channels } from './channels.ts'
import { createSession } from './session.ts'
import { createWatches, type TickListener, type Watch, type WatchListener } from './watch.ts'
import type { Principal } from '../../core/roles.ts'

export interface LiveGatewayOptions extends AdmissionLimits {
  tickMs: number
  maxSubscriptions: number
  maxFrameBytes: number
  maxFramesPerS: number
  snapshotBuckets: number
  latenessMs: number
  tapeMaxPerS: number
  /** Above this many buffered bytes a client gets no deltas, then one fresh snapshot once drained. */
  slowClientBytes: number
  /** Above this many buffered bytes a client is disconnected. */
  maxClientBufferBytes: number
  /** Client errors tolerated per minute before the connection is closed. */
  maxStrikesPerMin: number
  /** Replaces the in-process broker: api/live/replication.ts shares live queries between gateways. */
  createScheduler?: BrokerFactory
  /** Every tick's duration in ms (livehouse_live_tick_duration_seconds). */
  onTick?(ms: number): void
  /** A tick starts no read after this long (scheduler.ts). */
  tickBudgetMs?: number
  /** Channels whose rows are pushed per subscription rather than read by a live query (`alerts`: api/alerts/channel.ts). */
  pushChannels?: PushChannel[]
}

/** What a broker gets from the gateway (kept under its former name). */
export type LiveSchedulerOptions = BrokerOptions

export interface LiveGateway {
  websocket: WebSocketHandler<Connection>
  /** Every channel a client may SUBSCRIBE to, live queries and pushed ones (the scope tests hold each to a case). */
  channelNames(): string[]
  attach(server: Server): void
  start(): void
  stop(): Promise<void>
  /**
   * Rides a live query without a socket (alert rules): see watch.ts. `onChange` gets the current
   * rows first, then every change, on the gateway that leads the channel only.
   */
  watch(channel: string, params: Record<string, unknown>, principal: Principal, onChange: WatchListener): Watch
  /**
   * As `watch`, but `onTick` is called on every tick of the channel on the gateway that leads it,
   * with the tick's change or null (alert rules: `for_s` and closed buckets need time to move).
   */
  watchTicks(channel: string, params: Record<string, unknown>, principal: Principal, onTick: TickListener): Watch
  stats(): {
    connections: number; liveQueries: number; effectiveTickMs: number; lastTickMs: number; conflated: number; disconnectedSlow: number
    watchers: number; unseenChannels: number
  }
  /** Called after every published delta (metrics, the benchmark's JSON baseline). */
  onPublish?: (lq: LiveQuery, frame: Uint8Array) => void
}

export function createLiveGateway(o: LiveGatewayOptions & { ch: ClickHouseClient; tickClients?: ClickHouseClient[]; auth: Auth; tokenWatch: TokenWatch; log: Logger }): LiveGateway {
  let server: Server | undefined
  let connections = 0
  const limits: Limits = {
    maxSubscriptions: o.maxSubscriptions, maxFrameBytes: o.maxFrameBytes, maxFramesPerSecond: o.maxFramesPerS,
    tickMs: o.tickMs, snapshotBuckets: o.snapshotBuckets,
    maxChannelsPerToken: o.maxChannelsPerToken, maxUnseenChannelsPerToken: o.maxUnseenChannelsPerToken,
  }
  const registry = createRegistry(o)
  const entities = createEntityIndex({ ch: o.ch, log: o.log })
  const fanout = createFanout({ ...o, publish: (topic, frame) => server?.publish(topic, frame) })
  const watches = createWatches({ broker: () => broker, log: o.log })

  /** One DELTA of `lq` to every socket and server-side watcher of this gateway. */
  function deliver(lq: LiveQuery, frame: Uint8Array, change?: Change) {
    fanout.deliver(lq, frame, registry.subscribersOf(lq.cid))
    watches.deliver(lq, frame, change)
    gateway.onPublish?.(lq, frame)
  }
  const broker: LiveBroker = (o.createScheduler ?? createMemoryBroker)({
    ...o,
    onChange: (lq, change) => deliver(lq, deltaFrame(lq.cid, lq.seq, change, lq.spec.meta.time, Date.now()), change),
    onTicked: (lq, change) => watches.ticked(lq, change),
    onError: (lq, error) => o.log.warn('live query failed', { topic: lq.topic, error }),
    deliver: (lq, frame) => deliver(lq, frame),
  })

  const pushChannels = new Map((o.pushChannels ?? []).map((c) => [c.name, c]))
  const session = createSession({ ...o, limits, registry, fanout, entities, broker: () => broker, pushChannels })
  const websocket: WebSocketHandler<Connection> = {
    ...session,
    open: (socket) => (connections++, session.open(socket)),
    close: (socket, code) => (connections--, session.close(socket, code)),
  }

  const gateway: LiveGateway = {
    websocket,
    channelNames: () => [...channels.keys(), ...pushChannels.keys()],
    attach: (s) => void (server = s),
    start: () => (entities.start(), broker.start()),
    stop: async () => (entities.stop(), await broker.stop()),
    watch: (channel, params, principal, onChange) => watches.watch(channel, params, principal, onChange),
    watchTicks: (channel, params, principal, onTick) => watches.watchTicks(channel, params, principal, onTick),
    stats: () => ({
      connections, ...fanout.stats(), ...broker.stats(), watchers: watches.count(), unseenChannels: registry.stats().unseenChannels,
    }),
  }
  return gateway
}
