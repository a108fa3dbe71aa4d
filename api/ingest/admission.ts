// Overload: ingestion gives way first, so live watchers keep a bounded latency
// (docs/operations.md "Overload"). Every `stepMs` the controller reads the process's
// pressure (the event loop's delay, the longest live tick) and adapts the share of ingest
// requests it admits: halved under pressure, back up by `recoverShare` per calm step
// (additive increase, multiplicative decrease, as TCP does with its window), never below
// `minShare`, so ingestion slows but never stops outright. The others get 503 OVERLOADED with
// Retry-After before their body is parsed: a refused request stores nothing, so nothing is
// lost, and its producer sends it again later.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { AppError } from '../../core/errors.ts'

/** What one step saw. */
export interface Pressure {
  /** Mean event-loop delay over the step beyond the sampling interval, ms. */
  loopDelayMs: number
  /** Longest live tick that ended in the step, ms (0: none). */
  tickMs: number
}

export interface AdmissionOptions {
  /** Loop delay above which the process counts as overloaded (0 = not a signal). */
  maxLoopDelayMs: number
  /** Live tick duration above which the process counts as overloaded (0 = not a signal). */
  maxTickMs: number
  /** Least share of requests admitted however loaded. */
  minShare?: number
  /** Share regained per calm step. */
  recoverShare?: number
  retryAfterS?: number
  /**
   * Whether anyone watches live data now (unset: always). Shedding protects watchers: with none,
   * a busy loop only slows ingestion's answers, and refusing would lose throughput for nobody.
   */
  watched?(): boolean
  /** Hears every change between admitting all and shedding (a log line). */
  onChange?(shedding: boolean, share: number, pressure: Pressure): void
}

export function createAdmissionControl(o: AdmissionOptions) {
  const minShare = o.minShare ?? 0.1
  const recoverShare = o.recoverShare ?? 0.1
  let share = 1
  let credit = 0
  const counts = { admitted: 0, refused: 0, steps: 0, pressedSteps: 0 }

  const pressed = (p: Pressure) => (o.watched?.() ?? true) &&
    ((o.maxLoopDelayMs > 0 && p.loopDelayMs > o.maxLoopDelayMs) || (o.maxTickMs > 0 && p.tickMs > o.maxTickMs))

  return {
    /** One control step on what the process saw since the last one; whether it was under pressure. */
    step(p: Pressure): boolean {
      const before = share
      const hot = pressed(p)
      counts.steps++
      if (hot) counts.pressedSteps++
      // Kept in whole thousandths, so ten steps of 0.1 do make 1.
      share = Math.round((hot ? Math.max(minShare, share / 2) : Math.min(1, share + recoverShare)) * 1000) / 1000
      if ((before < 1) !== (share < 1)) o.onChange?.(share < 1, share, p)
      return hot
    },
    /**
     * Admits this request or throws 503 OVERLOADED. Deterministic, not random: a credit grows
     * by the share per request and each admitted one spends a whole, so exactly that share goes through.
     */
    admit(): void {
      if (share >= 1) return void counts.admitted++
      // In thousandths: whole numbers add up exactly where 0.1 ten times does not make 1.
      credit = Math.min(1000, credit + Math.round(share * 1000))
      if (credit >= 1000) {
        credit -= 1000
        return void counts.admitted++
      }
      counts.refused++
      throw new AppError(503, 'OVERLOADED', 'the server is short of CPU and sheds ingestion to keep live data timely; retry after Retry-After seconds', { retryAfterS: o.retryAfterS ?? 1 })
    },
    stats: () => ({ share, ...counts }),
  }
}

export type AdmissionControl = ReturnType<typeof createAdmissionControl>

/** Samples the event loop's delay (perf_hooks) and the live ticks between two reads. */
export function createPressureGauge(resolutionMs = 10) {
  const loop = monitorEventLoopDelay({ resolution: resolutionMs })
  loop.enable()
  let longestTickMs = 0
  return {
    observeTick(ms: number) {
      longestTickMs = Math.max(longestTickMs, ms)
    },
    /** What happened since the last read; starts the next window. */
    read(): Pressure {
      // The histogram records whole sampling intervals: what lies beyond `resolutionMs` is delay.
      const p = { loopDelayMs: loop.count ? Math.max(0, loop.mean / 1e6 - resolutionMs) : 0, tickMs: longestTickMs }
      loop.reset()
      longestTickMs = 0
      return p
    },
    stop: () => loop.disable(),
  }
}

export type PressureGauge = ReturnType<typeof createPressureGauge>

/** The controller stepped every `stepMs` on the gauge: what the composition root starts. */
export function startAdmission(o: AdmissionOptions & { stepMs?: number }) {
  const gauge = createPressureGauge()
  const control = createAdmissionControl(o)
  const timer = setInterval(() => control.step(gauge.read()), o.stepMs ?? 500)
  timer.unref()
  return {
    ...control,
    observeTick: gauge.observeTick,
    stop() {
      clearInterval(timer)
      gauge.stop()
    },
  }
}

export type Admission = ReturnType<typeof startAdmission>
