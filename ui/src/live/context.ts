import { createMemo } from 'solid-js'
import { claims, hasRole, token } from '../session.ts'
import { createLiveClient, type LiveClient } from './client.ts'

let current: { token: string; client: LiveClient } | undefined

/** The page's live client for the signed-in token (one worker, one socket). */
export const live = createMemo<LiveClient | undefined>(() => {
  const t = token()
  if (!t || !hasRole(claims(), 'trader', 'seller')) return undefined
  if (current?.token !== t) current = { token: t, client: createLiveClient(location.origin, t) }
  return current.client
})
