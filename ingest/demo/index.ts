export {
  createDemoGenerator,
  defaultMix,
  demoStreams,
  type DemoGenerator,
  type DemoGeneratorOptions,
  type DemoGeneratorStats,
  type DemoMix,
} from './generator.ts'
export { createMarket, instruments, type Instrument, type Market } from './market.ts'
export { createRandom, mulberry32, type Random } from './random.ts'
export { createShopSimulation, type ShopSimulation } from './shop.ts'
export type {
  DemoEventsByStream,
  DemoStream,
  OrderEvent,
  OrderStatus,
  TradeEvent,
  TradeSide,
  WebEvent,
  WebEventType,
} from './types.ts'
