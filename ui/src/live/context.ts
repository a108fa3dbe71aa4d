import { createMemo } from 'solid-js'
import { claims, hasRole, token } from '../session.ts'
import { createLiveClient, type LiveClient } from './client.ts'

let current: { token: string; client: LiveClient } | undefined

/** The page's live client for the signed-in token (one worker, one socket); the previous one is closed. */
export const live = createMemo<LiveClient | undefined>(() => {
  const t = token()
  const wanted = t && hasRole(claims(), 'trader', 'seller') ? t : undefined
  if (current && current.token !== wanted) {
    current.client.close()
    current = undefined
  }
  if (wanted && !current) current = { token: wanted, client: createLiveClient(location.origin, wanted) }
  return current?.client
})
