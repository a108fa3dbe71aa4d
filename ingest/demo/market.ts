/**
 * Synthetic market: ~50 instruments whose prices follow a geometric random walk with
 * per-symbol volatility, occasional volatility bursts, log-normal trade sizes, sides
 * leaning with the recent move, and multi-fill sweeps that share one timestamp.
 */
import { createWeightedPicker, roundTo, type Random } from './random.ts'
import type { TradeEvent, TradeSide } from './types.ts'

type AssetClass = 'equity' | 'etf' | 'crypto' | 'fx'

export interface Instrument {
  symbol: string
  assetClass: AssetClass
  startPrice: number
  /** Standard deviation of the log return per trade. */
  volatility: number
  typicalQty: number
  priceDecimals: number
  qtyDecimals: number
  /** Relative share of all trades. */
  activity: number
}

// [symbol, start price, volatility per trade, typical qty, price decimals, qty decimals, activity]
type Row = [string, number, number, number, number, number, number]

const rows: Record<AssetClass, Row[]> = {
  equity: [
    ['AAPL', 190, 0.0004, 100, 2, 0, 4], ['MSFT', 420, 0.0004, 60, 2, 0, 4], ['GOOGL', 170, 0.0005, 80, 2, 0, 3],
    ['AMZN', 185, 0.0005, 80, 2, 0, 3], ['META', 500, 0.0006, 40, 2, 0, 3], ['NVDA', 120, 0.0009, 150, 2, 0, 5],
    ['TSLA', 240, 0.001, 90, 2, 0, 4], ['NFLX', 650, 0.0006, 20, 2, 0, 1], ['AMD', 160, 0.0009, 100, 2, 0, 2],
    ['INTC', 31, 0.0007, 300, 2, 0, 1], ['JPM', 205, 0.0004, 60, 2, 0, 1.5], ['BAC', 39, 0.0005, 400, 2, 0, 1],
    ['GS', 470, 0.0005, 20, 2, 0, 0.8], ['V', 275, 0.0003, 40, 2, 0, 1], ['MA', 460, 0.0003, 25, 2, 0, 0.8],
    ['WMT', 68, 0.0003, 150, 2, 0, 1], ['KO', 62, 0.0002, 200, 2, 0, 0.8], ['PEP', 170, 0.0002, 60, 2, 0, 0.6],
    ['DIS', 95, 0.0005, 100, 2, 0, 0.8], ['NKE', 90, 0.0005, 100, 2, 0, 0.6], ['BRK.B', 410, 0.0003, 30, 2, 0, 0.6],
    ['XOM', 115, 0.0004, 100, 2, 0, 0.8], ['CVX', 155, 0.0004, 60, 2, 0, 0.6], ['PFE', 29, 0.0005, 400, 2, 0, 0.6],
    ['JNJ', 155, 0.0003, 60, 2, 0, 0.6], ['UNH', 520, 0.0005, 20, 2, 0, 0.6], ['ORCL', 140, 0.0006, 80, 2, 0, 0.8],
    ['CRM', 260, 0.0006, 40, 2, 0, 0.6], ['ADBE', 520, 0.0006, 20, 2, 0, 0.5], ['IBM', 190, 0.0004, 50, 2, 0, 0.5],
  ],
  etf: [
    ['SPY', 550, 0.0002, 200, 2, 0, 4], ['QQQ', 470, 0.0003, 150, 2, 0, 3],
    ['IWM', 215, 0.0003, 150, 2, 0, 1], ['GLD', 225, 0.0002, 80, 2, 0, 0.6],
  ],
  crypto: [
    ['BTC-USD', 65000, 0.0006, 0.05, 2, 6, 5], ['ETH-USD', 3200, 0.0008, 0.8, 2, 5, 4],
    ['SOL-USD', 150, 0.0012, 12, 3, 3, 2], ['XRP-USD', 0.55, 0.0012, 1500, 4, 1, 1.5],
    ['DOGE-USD', 0.12, 0.0018, 8000, 5, 0, 1.5], ['ADA-USD', 0.45, 0.0014, 3000, 4, 1, 0.8],
    ['AVAX-USD', 28, 0.0014, 25, 3, 3, 0.6], ['LTC-USD', 75, 0.0011, 5, 2, 4, 0.6],
    ['LINK-USD', 14, 0.0013, 60, 3, 2, 0.6],
  ],
  fx: [
    ['EUR/USD', 1.085, 0.00004, 250000, 5, 0, 3], ['GBP/USD', 1.27, 0.00005, 200000, 5, 0, 2],
    ['USD/JPY', 151.2, 0.00005, 250000, 3, 0, 2], ['AUD/USD', 0.66, 0.00006, 150000, 5, 0, 1],
    ['USD/CHF', 0.9, 0.00005, 150000, 5, 0, 0.8], ['USD/CAD', 1.36, 0.00005, 150000, 5, 0, 0.8],
    ['NZD/USD', 0.61, 0.00007, 100000, 5, 0, 0.5], ['EUR/GBP', 0.855, 0.00004, 150000, 5, 0, 0.6],
  ],
}

const venues: Record<AssetClass, { names: string[]; weights: number[] }> = {
  equity: { names: ['NASDAQ', 'NYSE', 'ARCA', 'BATS', 'IEX'], weights: [35, 30, 15, 15, 5] },
  etf: { names: ['ARCA', 'NASDAQ', 'BATS'], weights: [50, 30, 20] },
  crypto: { names: ['COINBASE', 'BINANCE', 'KRAKEN'], weights: [40, 45, 15] },
  fx: { names: ['EBS', 'LMAX', 'CURRENEX'], weights: [45, 35, 20] },
}

export const instruments: readonly Instrument[] = (Object.keys(rows) as AssetClass[]).flatMap((assetClass) =>
  rows[assetClass].map(([symbol, startPrice, volatility, typicalQty, priceDecimals, qtyDecimals, activity]) => ({
    symbol, assetClass, startPrice, volatility, typicalQty, priceDecimals, qtyDecimals, activity,
  })),
)

const burstStartProbability = 0.0008
const burstActivityBoost = 4
const sweepProbability = 0.06
const meanReversionPerTrade = 2e-5 // keeps a demo that runs for days near its starting prices
const qtySigma = 0.9

interface SymbolState {
  instrument: Instrument
  logPrice: number
  /** Exponential average of recent log returns, in units of volatility. */
  momentum: number
  burstTradesLeft: number
  burstMultiplier: number
}

export interface Market {
  /** Exactly one trade per timestamp given; a sweep's fills reuse its first timestamp. */
  trades(timestamps: readonly number[]): TradeEvent[]
}

export function createMarket(random: Random): Market {
  const idPrefix = `demo-${random.hex(8)}`
  const states: SymbolState[] = instruments.map((instrument) => ({
    instrument, logPrice: Math.log(instrument.startPrice), momentum: 0, burstTradesLeft: 0, burstMultiplier: 1,
  }))
  const venuePickers = Object.fromEntries(
    Object.entries(venues).map(([k, v]) => [k, createWeightedPicker(v.weights)]),
  ) as Record<AssetClass, (u: number) => number>
  let pickSymbol = buildSymbolPicker(states)
  let seq = 0

  /** A sweep fill (`sweepSide` set) pushes the price the aggressor's way instead of walking randomly. */
  function trade(state: SymbolState, ts: number, sweepSide?: TradeSide): TradeEvent {
    if (sweepSide) state.logPrice += (sweepSide === 'buy' ? 0.3 : -0.3) * state.instrument.volatility
    else if (stepPrice(state, random)) pickSymbol = buildSymbolPicker(states)
    const { instrument } = state
    const price = Math.max(roundTo(Math.exp(state.logPrice), instrument.priceDecimals), 10 ** -instrument.priceDecimals)
    const venueNames = venues[instrument.assetClass].names
    return {
      id: `${idPrefix}-${(seq++).toString(36)}`,
      ts,
      symbol: instrument.symbol,
      price,
      qty: drawQty(instrument, random),
      side: sweepSide ?? drawSide(state, random),
      venue: venueNames[venuePickers[instrument.assetClass](random.next())],
    }
  }

  return {
    trades(timestamps) {
      const out: TradeEvent[] = []
      let i = 0
      while (i < timestamps.length) {
        const state = states[pickSymbol(random.next())]
        const ts = timestamps[i]
        const first = trade(state, ts)
        out.push(first)
        i++
        if (!random.chance(sweepProbability)) continue
        // An aggressive order walking the book: several fills, one side, one timestamp.
        for (let fills = random.int(1, 4); fills > 0 && i < timestamps.length; fills--, i++) {
          out.push(trade(state, ts, first.side))
        }
      }
      return out
    },
  }
}

function buildSymbolPicker(states: readonly SymbolState[]): (u: number) => number {
  return createWeightedPicker(states.map((s) => s.instrument.activity * (s.burstTradesLeft > 0 ? burstActivityBoost : 1)))
}

/** Advances the walk by one trade; true when a burst started or ended (the activity weights changed). */
function stepPrice(state: SymbolState, random: Random): boolean {
  const { instrument } = state
  let burstChanged = false
  if (state.burstTradesLeft > 0) {
    state.burstTradesLeft--
    burstChanged = state.burstTradesLeft === 0
  } else if (random.chance(burstStartProbability)) {
    state.burstTradesLeft = random.int(100, 600)
    state.burstMultiplier = random.uniform(2.5, 5)
    burstChanged = true
  }
  const sigma = instrument.volatility * (state.burstTradesLeft > 0 ? state.burstMultiplier : 1)
  const drift = -meanReversionPerTrade * (state.logPrice - Math.log(instrument.startPrice))
  const logReturn = drift + sigma * random.normal()
  state.logPrice += logReturn
  state.momentum = 0.9 * state.momentum + 0.1 * (logReturn / instrument.volatility)
  return burstChanged
}

function drawSide(state: SymbolState, random: Random): TradeSide {
  // Buyers chase a rising price and sellers a falling one, up to 80/20.
  const buyProbability = 0.5 + 0.3 * Math.tanh(2 * state.momentum)
  return random.chance(buyProbability) ? 'buy' : 'sell'
}

function drawQty(instrument: Instrument, random: Random): number {
  // Log-normal with mean typicalQty; FX trades in lots of 1,000.
  const raw = instrument.typicalQty * Math.exp(qtySigma * random.normal() - (qtySigma * qtySigma) / 2)
  const lot = instrument.assetClass === 'fx' ? 1000 : 10 ** -instrument.qtyDecimals
  return roundTo(Math.max(lot, Math.round(raw / lot) * lot), instrument.qtyDecimals)
}
