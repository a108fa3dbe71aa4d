import { createMemo, createResource, onCleanup, type Resource } from 'solid-js'
import { query, type QueryResult } from '../api.ts'

/**
 * A catalog query re-run every `refreshMs` (and when its params change by value, not by
 * object identity); keeps the last rows while refreshing.
 */
export function useQuery(name: string, params: () => Record<string, string | number | undefined> | undefined, refreshMs = 10_000): Resource<QueryResult> & { at: () => number } {
  let at = 0
  const key = createMemo(() => {
    const p = params()
    return p === undefined ? undefined : JSON.stringify(p)
  })
  const [res, { refetch }] = createResource(key, async (k) => {
    const r = await query(name, JSON.parse(k))
    at = Date.now()
    return r
  })
  const timer = setInterval(() => void refetch(), refreshMs)
  onCleanup(() => clearInterval(timer))
  return Object.assign(res, { at: () => (res(), at) })
}
