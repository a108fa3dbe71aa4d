// @ts-expect-error plain ESM script without types
import { getFreePort as untyped } from '../../scripts/lib/proc.mjs'

/** A TCP port that was free a moment ago: scripts/lib/proc.mjs's, typed for tests. */
export const getFreePort: () => Promise<number> = untyped
