// Whether a load generator measured the server or itself. On a shared machine the generator's
// CPU is taken from the server it measures, and a generator short of CPU reports its own
// backlog as latency: every report that quotes a generator's latency says which it was.

export interface GeneratorLoad {
  /** The generator process's CPU over the window, in % of one core (may exceed 100). */
  generatorCpuPct: number
  /** The server process's CPU over the same window, in % of one core. */
  serverCpuPct: number
  cores: number
}

export type Bottleneck = 'generator' | 'server' | 'none'

/** Busy above this share of all cores (generator + server), the machine is the limit. */
export const busyShare = 0.9

/**
 * `generator`: the two kept the machine busy and the generator used at least as much CPU as
 * the server, so latencies include the generator's own queueing (read them as upper bounds).
 * `server`: the machine was busy and the server used most of it. `none`: CPU to spare.
 */
export function bottleneck(x: GeneratorLoad): { bottleneck: Bottleneck; busyPct: number; note: string } {
  const busyPct = Math.round((x.generatorCpuPct + x.serverCpuPct) / x.cores)
  const busy = busyPct >= busyShare * 100
  if (busy && x.generatorCpuPct >= x.serverCpuPct) {
    return { bottleneck: 'generator', busyPct, note: `the generator (${Math.round(x.generatorCpuPct)}% of a core) used at least as much CPU as the server (${Math.round(x.serverCpuPct)}%) on a machine ${busyPct}% busy: its latencies include its own backlog` }
  }
  if (busy) return { bottleneck: 'server', busyPct, note: `the machine was ${busyPct}% busy, most of it the server's (${Math.round(x.serverCpuPct)}% of a core)` }
  return { bottleneck: 'none', busyPct, note: `CPU to spare (${busyPct}% of ${x.cores} cores busy): the latencies are the server's` }
}
