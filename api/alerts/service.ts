// Rule changes: checked (rules.ts), written to ClickHouse (store.ts), applied to this
// gateway's evaluator and announced to the other replicas. One rule's changes run one at a
// time per gateway, so a version check and its write cannot interleave with another's.
import { randomBytes, randomUUID } from 'node:crypto'
import { AppError } from '../../core/errors.ts'
import type { Principal } from '../../core/roles.ts'
import type { ChannelSpec } from '../live/channels.ts'
import type { AlertBus } from './bus.ts'
import type { Evaluator } from './evaluator.ts'
import { accessOf, checkRule, parseParams } from './rules.ts'
import type { Rule, RuleInput } from './schema.ts'
import type { AddressPolicy } from './ssrf.ts'
import type { RuleStore } from './store.ts'

export interface Caller {
  principal: Principal
  /** Expiry of the caller's token (epoch ms): the rule's access lasts as long. */
  expiresAt: number
}

export interface RuleService {
  list(owner: string): Promise<Rule[]>
  get(owner: string, id: string): Promise<Rule>
  create(c: Caller, input: RuleInput): Promise<Rule>
  update(c: Caller, id: string, input: RuleInput): Promise<Rule>
  remove(c: Caller, id: string): Promise<void>
  /** ack, snooze, mute: small changes that keep the rule's definition (and renew its access). */
  patch(c: Caller, id: string, change: Partial<Pick<Rule, 'ackedAt' | 'snoozedUntil' | 'muted'>>): Promise<Rule>
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const ruleNotFound = (id: string) => new AppError(404, 'RULE_NOT_FOUND', `no alert rule ${id.slice(0, 64)}`)

export function createRuleService(o: {
  store: RuleStore
  evaluator: Evaluator
  bus: AlertBus
  channels: ReadonlyMap<string, ChannelSpec>
  policy: AddressPolicy
  maxRulesPerUser: number
  now?: () => number
}): RuleService {
  const now = o.now ?? Date.now
  let lastVersion = 0
  const nextVersion = () => (lastVersion = Math.max(lastVersion + 1, now() * 1000))
  // Rules per owner, read once from ClickHouse and then kept here: a create reserves its slot
  // before it writes, so concurrent creates cannot pass the limit, and 10,000 refused creates
  // cost no query each. Replicas count apart (each re-reads after 30 s without creates).
  const counts = new Map<string, { n: number; at: number; loading?: Promise<number> }>()
  const countOf = async (owner: string) => {
    let c = counts.get(owner)
    if (c && !c.loading && now() - c.at < 30_000) return c
    if (!c?.loading) {
      const entry = c ?? { n: 0, at: 0 }
      entry.loading = o.store.count(owner).then((n) => ((entry.n = n), (entry.at = now()), n)).finally(() => (entry.loading = undefined))
      counts.set(owner, (c = entry))
    }
    await c.loading
    return c
  }
  const turns = new Map<string, Promise<unknown>>()
  const inTurn = <T>(key: string, change: () => Promise<T>): Promise<T> => {
    const result = (turns.get(key) ?? Promise.resolve()).then(change)
    const settled = result.catch(() => undefined)
    turns.set(key, settled)
    void settled.then(() => turns.get(key) === settled && turns.delete(key))
    return result
  }

  async function load(owner: string, id: string): Promise<Rule> {
    if (!uuid.test(id)) throw ruleNotFound(id)
    const [rule] = await o.store.rules(owner, id)
    if (!rule) throw ruleNotFound(id)
    return rule
  }

  async function save(rule: Rule) {
    await o.store.write(rule)
    o.evaluator.upsert(rule)
    o.bus.ruleChanged(rule.owner, rule.id)
    return rule
  }

  /** The caller's access when it still covers the rule's channel; an ack from a narrower token keeps the old one. */
  function renewed(c: Caller, rule: Rule) {
    const spec = o.channels.get(rule.channel)
    try {
      if (spec) parseParams(spec, rule.params, c.principal)
      return spec ? accessOf(c.principal, c.expiresAt) : rule.access
    } catch {
      return rule.access
    }
  }

  const withSecrets = (input: RuleInput) => input.notify.map((n) => ({ ...n, secret: n.secret ?? randomBytes(24).toString('base64url') }))

  function define(c: Caller, input: RuleInput, base: Pick<Rule, 'id' | 'createdAt' | 'muted' | 'snoozedUntil' | 'ackedAt'>): Rule {
    return {
      ...base, owner: c.principal.sub, name: input.name, channel: input.channel, params: input.params, condition: input.condition,
      for_s: input.for_s, cooldown_s: input.cooldown_s, notify: withSecrets(input), access: accessOf(c.principal, c.expiresAt),
      version: nextVersion(), updatedAt: now(),
    }
  }

  return {
    list: (owner) => o.store.rules(owner),
    get: load,
    async create(c, input) {
      await checkRule(input, c.principal, o.channels, o.policy)
      const owner = c.principal.sub
      const count = await countOf(owner)
      if (count.n >= o.maxRulesPerUser) {
        throw new AppError(429, 'TOO_MANY_RULES', `at most ${o.maxRulesPerUser} alert rules per user`, { details: { limit: o.maxRulesPerUser } })
      }
      count.n++
      count.at = now()
      try {
        const t = now()
        return await save(define(c, input, { id: randomUUID(), createdAt: t, muted: false, snoozedUntil: 0, ackedAt: 0 }))
      } catch (e) {
        count.n--
        throw e
      }
    },
    async update(c, id, input) {
      await checkRule(input, c.principal, o.channels, o.policy)
      const owner = c.principal.sub
      return inTurn(`rule:${owner}:${id}`, async () => {
        const old = await load(owner, id)
        if (input.version !== undefined && input.version !== old.version) {
          throw new AppError(409, 'VERSION_CONFLICT', 'the rule changed since you loaded it', { details: { version: old.version } })
        }
        // A webhook whose URL is unchanged keeps its secret unless a new one is given.
        const secrets = new Map(old.notify.map((n) => [n.url, n.secret]))
        const notify = input.notify.map((n) => ({ ...n, secret: n.secret ?? secrets.get(n.url) }))
        return save(define(c, { ...input, notify }, old))
      })
    },
    async remove(c, id) {
      const owner = c.principal.sub
      await inTurn(`rule:${owner}:${id}`, async () => {
        const old = await load(owner, id)
        await o.store.write({ ...old, version: nextVersion(), updatedAt: now() }, true)
        const count = counts.get(owner)
        if (count) count.n = Math.max(0, count.n - 1)
        o.evaluator.remove(id)
        o.bus.ruleChanged(owner, id)
      })
    },
    async patch(c, id, change) {
      const owner = c.principal.sub
      return inTurn(`rule:${owner}:${id}`, async () => {
        const old = await load(owner, id)
        return save({ ...old, ...change, access: renewed(c, old), version: nextVersion(), updatedAt: now() })
      })
    },
  }
}
