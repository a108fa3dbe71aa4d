import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js'
import type { LiveStore } from './client.ts'
import { live } from './context.ts'

/**
 * Subscribes while the calling component lives; re-subscribes when `params()` changes.
 * The accessor yields the current store (undefined until a live client exists).
 */
export function useChannel(channel: string, params: () => Record<string, unknown> | undefined, opts?: { capacity?: number; maxRows?: number }): Accessor<LiveStore | undefined> {
  const [store, setStore] = createSignal<LiveStore>()
  createEffect(() => {
    const client = live()
    const p = params()
    if (!client || !p) return setStore(undefined)
    const s = client.subscribe(channel, p, opts)
    setStore(s)
    onCleanup(() => client.unsubscribe(s))
  })
  return store
}
