// The subscription registry: which connections watch which live query (by cid, for fan-out),
// and what each token and peer address holds, against the live limits of docs/protocol.md.
// Pure bookkeeping: no sockets, no ClickHouse.
import type { ErrorReason } from '../protocol/index.ts'
import type { Subscription } from './connection.ts'

export interface AdmissionLimits {
  /** Open connections per token subject (0 = no limit). */
  maxConnectionsPerToken: number
  /** Open connections per peer address (0 = no limit). */
  maxConnectionsPerIp: number
  /** Distinct channels per token subject over all its connections (0 = no limit). */
  maxChannelsPerToken: number
  /** Of those, channels whose symbol or shop has never had an event (0 = no limit). */
  maxUnseenChannelsPerToken: number
  /** Channels of never-seen symbols or shops over all tokens: the live queries they may cost (0 = no limit). */
  maxUnseenChannels: number
}

interface TokenHoldings {
  connections: number
  /** Topic → subscriptions of this token to it. */
  channels: Map<string, number>
  unseen: Set<string>
}

const over = (count: number, limit: number) => limit > 0 && count >= limit

export function createRegistry(limits: AdmissionLimits) {
  const tokens = new Map<string, TokenHoldings>()
  const ips = new Map<string, number>()
  /** Never-seen topics held by any token → how many tokens hold each. */
  const unseenTopics = new Map<string, number>()
  const byCid = new Map<number, Set<Subscription>>()

  const holdings = (sub: string) => {
    let h = tokens.get(sub)
    if (!h) tokens.set(sub, (h = { connections: 0, channels: new Map(), unseen: new Set() }))
    return h
  }
  const forget = (sub: string, h: TokenHoldings) => {
    if (h.connections === 0 && h.channels.size === 0) tokens.delete(sub)
  }

  return {
    /** Why a new connection of `sub` from `ip` is refused, if it is. */
    refuseConnection(sub: string, ip: string): string | undefined {
      if (over(tokens.get(sub)?.connections ?? 0, limits.maxConnectionsPerToken)) return `at most ${limits.maxConnectionsPerToken} connections per token`
      if (over(ips.get(ip) ?? 0, limits.maxConnectionsPerIp)) return `at most ${limits.maxConnectionsPerIp} connections per address`
      return undefined
    },
    openConnection(sub: string, ip: string) {
      holdings(sub).connections++
      ips.set(ip, (ips.get(ip) ?? 0) + 1)
    },
    closeConnection(sub: string, ip: string) {
      const h = tokens.get(sub)
      if (h) (h.connections--, forget(sub, h))
      const n = (ips.get(ip) ?? 1) - 1
      if (n > 0) ips.set(ip, n)
      else ips.delete(ip)
    },

    /** Counts a subscription of `sub` to `topic`; or the limit it would break, counting nothing. */
    admitChannel(sub: string, topic: string, unseen: boolean): ErrorReason | undefined {
      const h = holdings(sub)
      const held = h.channels.get(topic)
      if (held === undefined) {
        if (over(h.channels.size, limits.maxChannelsPerToken)) return 'TOO_MANY_CHANNELS'
        if (unseen && over(h.unseen.size, limits.maxUnseenChannelsPerToken)) return 'NEVER_SEEN'
        if (unseen && !unseenTopics.has(topic) && over(unseenTopics.size, limits.maxUnseenChannels)) return 'NEVER_SEEN'
        if (unseen) (h.unseen.add(topic), unseenTopics.set(topic, (unseenTopics.get(topic) ?? 0) + 1))
      }
      h.channels.set(topic, (held ?? 0) + 1)
      return undefined
    },
    releaseChannel(sub: string, topic: string) {
      const h = tokens.get(sub)
      const held = h?.channels.get(topic)
      if (!h || held === undefined) return
      if (held > 1) return void h.channels.set(topic, held - 1)
      h.channels.delete(topic)
      if (h.unseen.delete(topic)) {
        const n = (unseenTopics.get(topic) ?? 1) - 1
        if (n > 0) unseenTopics.set(topic, n)
        else unseenTopics.delete(topic)
      }
      forget(sub, h)
    },

    /** Fan-out index: the subscriptions of live query `cid` on this gateway. */
    add(s: Subscription) {
      let set = byCid.get(s.w.lq.cid)
      if (!set) byCid.set(s.w.lq.cid, (set = new Set()))
      set.add(s)
    },
    remove(s: Subscription) {
      const set = byCid.get(s.w.lq.cid)
      set?.delete(s)
      if (set?.size === 0) byCid.delete(s.w.lq.cid)
    },
    subscribersOf: (cid: number): ReadonlySet<Subscription> | undefined => byCid.get(cid),

    stats: () => ({ tokens: tokens.size, addresses: ips.size, unseenChannels: unseenTopics.size }),
  }
}

export type Registry = ReturnType<typeof createRegistry>
