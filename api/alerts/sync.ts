// Keeps this gateway's evaluator holding every rule: all of them at start, a rule another
// replica changed as soon as Redis says so, and everything again every `reloadMs` (a missed
// message, a replica that was down). Rules are evaluated only where their channel is led.
import type { Logger } from '../log.ts'
import type { AlertBus } from './bus.ts'
import type { Evaluator } from './evaluator.ts'
import type { RuleStore } from './store.ts'

export function createRuleSync(o: { store: Pick<RuleStore, 'allRules' | 'rules' | 'digest'>; evaluator: Evaluator; bus: AlertBus; log: Logger; reloadMs: number }) {
  const known = new Map<string, number>()
  let timer: NodeJS.Timeout | undefined
  let loading: Promise<void> | undefined
  /** The rules' digest at the last full read, and whether every rule read then is held by the evaluator. */
  let lastDigest: string | undefined
  let allHeld = false

  async function loadAll() {
    // Reading and parsing every rule (10,000 of them: tens of ms of the event loop, on the tick's thread) only when one changed.
    const digest = await o.store.digest()
    if (digest === lastDigest && allHeld) return
    const rules = await o.store.allRules()
    const seen = new Set<string>()
    for (const r of rules) {
      seen.add(r.id)
      if (known.get(r.id) === r.version && o.evaluator.has(r.id)) continue
      known.set(r.id, r.version)
      o.evaluator.upsert(r)
    }
    for (const id of [...known.keys()]) if (!seen.has(id)) (known.delete(id), o.evaluator.remove(id))
    lastDigest = digest
    // A rule the evaluator could not take (e.g. not entitled any more) is tried again at every reload.
    allHeld = rules.every((r) => o.evaluator.has(r.id))
  }

  async function reloadOne(owner: string, id: string) {
    const [rule] = await o.store.rules(owner, id)
    if (rule) (known.set(id, rule.version), o.evaluator.upsert(rule))
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
  }
}
