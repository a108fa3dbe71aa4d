import { createMemo, createResource, onCleanup, type Resource } from 'solid-js'
import { query, type QueryResult } from '../api.ts'

/**
 * A catalog query re-run every `refreshMs` (and when its params change by value, not by
 * object identity); keeps the last rows while refreshing.
 */
export function useQuery(name: string, params: () => Record<string, string | number | undefined> | undefined, refreshMs = 10_000): Resource<QueryResult> {
  const key = createMemo(() => {
    const p = params()
    return p === undefined ? undefined : JSON.stringify(p)
  })
  const [res, { refetch }] = createResource(key, (k) => query(name, JSON.parse(k)))
  const timer = setInterval(() => void refetch(), refreshMs)
  onCleanup(() => clearInterval(timer))
  return res
}
