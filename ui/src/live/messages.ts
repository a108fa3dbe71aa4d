// Messages between the page and the live worker (ui/src/live/worker.ts). Plain
// structured-clone values: the worker decodes MessagePack, the page never does.
import type { Cell, ChannelMeta } from '../../../api/protocol/index.ts'

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized'

/** Columnar rows, oldest first, with absolute epoch-ms times in `meta.time`. */
export type Cols = Cell[][]

export type ToWorker =
  | { t: 'connect'; url: string; token: string }
  | { t: 'sub'; sid: number; channel: string; params: Record<string, unknown> }
  | { t: 'unsub'; sid: number }
  /** Sign-out or a new token: close the socket for good; the worker then ends itself. */
  | { t: 'close' }

export type FromWorker =
  | { t: 'state'; state: ConnectionState; retryInMs: number }
  | { t: 'snapshot'; sid: number; meta: ChannelMeta; cols: Cols; since: number | null }
  | { t: 'delta'; sid: number; upsert: Cols | null; remove: Cell[][] | null; sentAt: number }
  | { t: 'error'; sid: number | null; code: number; reason: string; message: string; temporary: boolean }
