/**
 * The demo generator: turns a target rate into batches of trades, orders and web events every
 * tick and hands each batch to `send` (the same ingestion path real producers use). It never
 * queues: with `maxInFlight` sends pending, a batch is dropped and counted as failed.
 */
import { streams } from '../../core/events.ts'
import { createMarket } from './market.ts'
import { createRandom, type Random } from './random.ts'
import { createShopSimulation } from './shop.ts'
import type { AnomalyLabel } from './anomalies.ts'
import type { DemoStream, OrderEvent } from './types.ts'

export type DemoMix = Record<DemoStream, number>

export interface DemoGeneratorOptions {
  ratePerSecond: number
  send: (stream: DemoStream, events: object[]) => Promise<unknown>
  /** Same seed, same clock readings → same events. Random when absent. */
  seed?: number
  now?: () => number
  tickMs?: number
  /** Relative weights of the streams; need not sum to 1. */
  mix?: DemoMix
  maxInFlight?: number
}

export interface DemoGeneratorStats {
  /** Events per stream whose send resolved. */
  sent: Record<DemoStream, number>
  /** Events whose send rejected or that were dropped because too many sends were pending. */
  failed: number
  /** Age of the oldest pending send, 0 when none is pending. */
  lagMs: number
}

export interface DemoGenerator {
  start(): void
  /** Stops ticking and waits for pending sends. */
  stop(): Promise<void>
  stats(): DemoGeneratorStats
  /** Runs one tick now; `start()` calls it every `tickMs`. Exposed for tests and manual driving. */
  tick(): void
  /** Labels of the latest planted order anomalies (ingest/demo/anomalies.ts), for scoring `order_risk`. */
  anomalies(): readonly AnomalyLabel[]
}

export const defaultMix: DemoMix = { trades: 0.7, orders: 0.1, web_events: 0.2 }
const defaultTickMs = 50
const defaultMaxInFlight = 6 // two ticks' worth of batches, one per stream
const maxCatchUpMs = 1000 // after a stall, emit at most a second's worth of events at once
const lateEventProbability = 0.01

export function createDemoGenerator(options: DemoGeneratorOptions): DemoGenerator {
  const { ratePerSecond, send, tickMs, mix, maxInFlight, now } = validateOptions(options)
  const random = createRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32))
  const market = createMarket(random)
  const shop = createShopSimulation(random)
  const splitCount = createSplitter(mix)
  const inFlight = new Map<Promise<void>, number>()
  const sent: Record<DemoStream, number> = { trades: 0, orders: 0, web_events: 0 }
  let failed = 0
  let lastNowMs = now()
  let owedEventMs = 0 // events owed × 1000, so integer rates and clocks carry exactly
  let timer: ReturnType<typeof setInterval> | undefined
  let stopped = false

  const generators: Record<DemoStream, (timestamps: number[]) => object[]> = {
    trades: market.trades,
    orders: shop.orders,
    web_events: shop.webEvents,
  }

  function dispatch(stream: DemoStream, timestamps: number[]): void {
    if (inFlight.size >= maxInFlight) {
      failed += timestamps.length
      return
    }
    const events = generators[stream](timestamps)
    const startedAt = now()
    const pending: Promise<void> = Promise.resolve()
      .then(() => send(stream, events))
      .then(
        () => {
          sent[stream] += events.length
          if (stream === 'orders') shop.confirmOrders(events as OrderEvent[])
        },
        () => {
          failed += events.length
        },
      )
      .finally(() => inFlight.delete(pending))
    inFlight.set(pending, startedAt)
  }

  function tick(): void {
    if (stopped) return
    const nowMs = now()
    const elapsedMs = Math.min(Math.max(0, nowMs - lastNowMs), maxCatchUpMs)
    lastNowMs = Math.max(lastNowMs, nowMs)
    owedEventMs += ratePerSecond * elapsedMs
    const count = Math.floor(owedEventMs / 1000)
    if (count <= 0) return
    owedEventMs -= count * 1000
    const counts = splitCount(count)
    for (const stream of streams) {
      if (counts[stream] > 0) dispatch(stream, spreadTimestamps(random, counts[stream], lastNowMs, elapsedMs))
    }
  }

  return {
    start() {
      if (timer) return
      stopped = false
      lastNowMs = now() // time spent stopped is not owed
      timer = setInterval(tick, tickMs)
      timer.unref?.() // the generator alone should not keep the process alive
    },
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      timer = undefined
      await Promise.allSettled([...inFlight.keys()])
    },
    stats() {
      let oldest = Infinity
      for (const startedAt of inFlight.values()) oldest = Math.min(oldest, startedAt)
      return { sent: { ...sent }, failed, lagMs: oldest === Infinity ? 0 : Math.max(0, now() - oldest) }
    },
    tick,
    anomalies: () => shop.anomalies(),
  }
}

function validateOptions(options: DemoGeneratorOptions) {
  const { ratePerSecond, tickMs = defaultTickMs, mix = defaultMix, maxInFlight = defaultMaxInFlight } = options
  if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0) throw new RangeError('ratePerSecond must be a finite number ≥ 0')
  if (!Number.isFinite(tickMs) || tickMs <= 0) throw new RangeError('tickMs must be a finite number > 0')
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be an integer ≥ 1')
  const weights = streams.map((s) => mix[s])
  if (weights.some((w) => !Number.isFinite(w) || w < 0) || weights.every((w) => w === 0)) {
    throw new RangeError('mix weights must be finite, ≥ 0 and not all 0')
  }
  return { ratePerSecond, send: options.send, tickMs, mix, maxInFlight, now: options.now ?? Date.now }
}

/** Splits counts across streams by weight with smooth weighted round-robin, so proportions hold exactly over time. */
function createSplitter(mix: DemoMix): (count: number) => Record<DemoStream, number> {
  const total = streams.reduce((sum, s) => sum + mix[s], 0)
  const credit: Record<DemoStream, number> = { trades: 0, orders: 0, web_events: 0 }
  return (count) => {
    const out: Record<DemoStream, number> = { trades: 0, orders: 0, web_events: 0 }
    for (let i = 0; i < count; i++) {
      let best: DemoStream = streams[0]
      for (const s of streams) {
        credit[s] += mix[s]
        if (credit[s] > credit[best]) best = s
      }
      credit[best] -= total
      out[best]++
    }
    return out
  }
}

/** `count` timestamps spread evenly over the last `elapsedMs` up to `endMs`, a few of them seconds late. */
function spreadTimestamps(random: Random, count: number, endMs: number, elapsedMs: number): number[] {
  const timestamps: number[] = []
  for (let i = 0; i < count; i++) {
    const ts = Math.round(endMs - elapsedMs + ((i + 1) * elapsedMs) / count)
    timestamps.push(random.chance(lateEventProbability) ? ts - random.int(1000, 8000) : ts)
  }
  return timestamps
}
