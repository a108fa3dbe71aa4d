// Keeps this gateway's evaluator holding every rule: all of them at start, a rule another
// replica changed as soon as Redis says so, and everything again every `reloadMs` (a missed
// message, a replica that was down). Rules are evaluated only where their channel is led.
import type { Logger } from '../log.ts'
import type { AlertBus } from './bus.ts'
import type { Evaluator } from './evaluator.ts'
import type { RuleStore } from './store.ts'

type SyncStore = Pick<RuleStore, 'allRules' | 'rules' | 'digest' | 'versions' | 'rulesByIds'>

export function createRuleSync(o: { store: SyncStore; evaluator: Evaluator; bus: AlertBus; log: Logger; reloadMs: number }) {
  /** Rule id → the version the evaluator holds. */
  const known = new Map<string, number>()
  let timer: NodeJS.Timeout | undefined
  let loading: Promise<void> | undefined
  /** The rules' digest at the last reload, and whether every rule read then is held by the evaluator. */
  let lastDigest: string | undefined
  let allHeld = false

  function apply(rule: Parameters<Evaluator['upsert']>[0]) {
    known.set(rule.id, rule.version)
    o.evaluator.upsert(rule)
  }

  /**
   * Reading and parsing every rule (10,000 of them: tens of ms of the event loop, on the tick's
   * thread) happens only at start: later, nothing when the digest is unchanged, else the ids and
   * versions, and the rows of only the rules this gateway does not hold at that version.
   */
  async function loadAll() {
    const digest = await o.store.digest()
    if (digest === lastDigest && allHeld) return
    if (lastDigest === undefined) {
      const rules = await o.store.allRules()
      for (const r of rules) if (known.get(r.id) !== r.version || !o.evaluator.has(r.id)) apply(r)
      forgetAllBut(new Set(rules.map((r) => r.id)))
    } else {
      const versions = await o.store.versions()
      const stale = [...versions].filter(([id, v]) => known.get(id) !== v || !o.evaluator.has(id)).map(([id]) => id)
      for (const r of await o.store.rulesByIds(stale)) apply(r)
      forgetAllBut(new Set(versions.keys()))
    }
    lastDigest = digest
    // A rule the evaluator could not take (e.g. not entitled any more) is tried again at every reload.
    allHeld = [...known.keys()].every((id) => o.evaluator.has(id))
  }

  function forgetAllBut(ids: Set<string>) {
    for (const id of [...known.keys()]) if (!ids.has(id)) (known.delete(id), o.evaluator.remove(id))
  }

  async function reloadOne(owner: string, id: string) {
    const [rule] = await o.store.rules(owner, id)
    if (rule) apply(rule)
    else (known.delete(id), o.evaluator.remove(id))
  }

  const reload = () => (loading ??= loadAll().catch((error) => o.log.warn('alert rules reload failed', { error })).finally(() => (loading = undefined)))

  return {
    async start() {
      await loadAll()
      o.bus.onRuleChanged((owner, id) => void reloadOne(owner, id).catch((error) => o.log.warn('alert rule reload failed', { id, error })))
      timer = setInterval(reload, o.reloadMs)
      timer.unref()
    },
    reload,
    stop: () => clearInterval(timer),
    /** The evaluator as the rules API should change it: what it saves here is known here, and the next reload does not read it again. */
    tracked: (): Evaluator => ({
      ...o.evaluator,
      upsert: (rule) => apply(rule),
      remove: (id) => (known.delete(id), o.evaluator.remove(id)),
    }),
  }
}
