import { describe, expect, it } from 'vitest'
import { createLogger } from '../log.ts'
import type { AlertBus } from './bus.ts'
import type { Evaluator } from './evaluator.ts'
import type { Rule } from './schema.ts'
import { createRuleSync } from './sync.ts'

const rule = (id: string, version = 1) => ({ id, owner: 'u', version }) as Rule

/** A store whose digest follows its rows, as the table's does; counts the full reads and the rule rows read by id. */
function fakeStore(rows: Rule[]) {
  const store = {
    rows,
    fullReads: 0,
    rowsRead: [] as string[],
    digest: async () => store.rows.map((r) => `${r.id}@${r.version}`).sort().join(','),
    allRules: async () => (store.fullReads++, [...store.rows]),
    versions: async () => new Map(store.rows.map((r) => [r.id, r.version])),
    rulesByIds: async (ids: string[]) => store.rows.filter((r) => ids.includes(r.id)).map((r) => (store.rowsRead.push(r.id), r)),
    rules: async (_owner: string, id?: string) => store.rows.filter((r) => r.id === id),
  }
  return store
}

function fakeEvaluator(refuse = new Set<string>()) {
  const held = new Map<string, number>()
  const upserts: string[] = []
  const ev: Evaluator = {
    upsert: (r) => (upserts.push(`${r.id}@${r.version}`), refuse.has(r.id) ? undefined : void held.set(r.id, r.version)),
    remove: (id) => void held.delete(id),
    has: (id) => held.has(id),
    stats: () => ({ rules: held.size, topics: 0, inactive: 0, observations: 0 }),
    stop: () => {},
  }
  return { ev, held, upserts }
}

const bus = { onRuleChanged: () => {} } as unknown as AlertBus

describe('rule sync', () => {
  it('reads every rule only when the digest says one was added, changed or deleted', async () => {
    const store = fakeStore([rule('a'), rule('b')])
    const { ev, held } = fakeEvaluator()
    const sync = createRuleSync({ store, evaluator: ev, bus, log: createLogger('silent'), reloadMs: 3_600_000 })
    await sync.start()
    expect(store.fullReads).toBe(1)
    await sync.reload()
    await sync.reload()
    expect(store.fullReads).toBe(1)

    store.rows = [rule('a', 2), rule('c')]
    await sync.reload()
    expect([store.fullReads, store.rowsRead]).toEqual([1, ['a', 'c']]) // b deleted: no row to read
    expect([...held]).toEqual([['a', 2], ['c', 1]])
    sync.stop()
  })

  it('rules saved through this gateway are not read again by the next reload', async () => {
    const store = fakeStore([rule('a')])
    const { ev, held } = fakeEvaluator()
    const sync = createRuleSync({ store, evaluator: ev, bus, log: createLogger('silent'), reloadMs: 3_600_000 })
    await sync.start()
    const api = sync.tracked()
    const saved = Array.from({ length: 100 }, (_, i) => rule(`n${i}`))
    for (const r of saved) (store.rows.push(r), api.upsert(r))
    store.rows = store.rows.filter((r) => r.id !== 'a')
    api.remove('a')
    await sync.reload()
    expect([store.fullReads, store.rowsRead]).toEqual([1, []])
    expect(held.size).toBe(100)
    sync.stop()
  })

  it('keeps retrying a rule the evaluator did not take, unchanged digest or not', async () => {
    const store = fakeStore([rule('a'), rule('refused')])
    const { ev, upserts } = fakeEvaluator(new Set(['refused']))
    const sync = createRuleSync({ store, evaluator: ev, bus, log: createLogger('silent'), reloadMs: 3_600_000 })
    await sync.start()
    await sync.reload()
    expect([store.fullReads, store.rowsRead]).toEqual([1, ['refused']])
    expect(upserts.filter((u) => u === 'refused@1')).toHaveLength(2)
    expect(upserts.filter((u) => u === 'a@1')).toHaveLength(1)
    sync.stop()
  })
})
