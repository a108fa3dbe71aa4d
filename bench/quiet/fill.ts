import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { root, spawnNode } from '../live/processes.ts'

/** Runs fill-orders.ts on `dataDir` in its own process (chDB holds one directory per process) and waits for it. */
export async function fillOrders(dataDir: string, lines: number, { migrate = false } = {}): Promise<void> {
  const fill = spawnNode(join(root, 'bench/quiet/fill-orders.ts'), [dataDir, '--lines', String(lines), ...(migrate ? ['--migrate'] : [])])
  while (fill.child.exitCode === null) await sleep(500)
  if (fill.child.exitCode !== 0) throw new Error(`fill-orders failed: ${fill.output()}`)
}
