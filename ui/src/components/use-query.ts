import { createResource, onCleanup, type Resource } from 'solid-js'
import { query, type QueryResult } from '../api.ts'

/** A catalog query re-run every `refreshMs` (and when its params change); keeps the last rows while refreshing. */
export function useQuery(name: string, params: () => Record<string, string | number | undefined> | undefined, refreshMs = 10_000): Resource<QueryResult> & { at: () => number } {
  let at = 0
  const [res, { refetch }] = createResource(params, async (p) => {
    const r = await query(name, p)
    at = Date.now()
    return r
  })
  const timer = setInterval(() => void refetch(), refreshMs)
  onCleanup(() => clearInterval(timer))
  return Object.assign(res, { at: () => (res(), at) })
}
