// Entry of a parse thread (parse-pool.ts). A worker thread does not inherit tsx's loader hooks
// from the main thread, so parse-worker.ts is loaded through tsx's own API.
import { tsImport } from 'tsx/esm/api'

await tsImport('./parse-worker.ts', import.meta.url)
